import pkg from '../package.json' with { type: 'json' };

/** Sent with every request, as the platform asks integrations to (reference §5: `integration-name/version`). */
export const USER_AGENT = `b24-typing-node/${pkg.version} (+https://github.com/b24-typing/b24-typing)`;
