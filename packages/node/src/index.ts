/** Placeholder until the package's first export lands. */
export const version = '0.0.0';
