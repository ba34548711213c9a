/**
 * Whether `value` is an absolute http(s) URL with a host: what a portal can post to, or a client can call. Shared by
 * the bot's options and the CLI's, so the two refuse the same URLs.
 */
export function isHttpUrl(value: unknown): boolean {
  try {
    const url = new URL(value as string);
    return typeof value === 'string' && /^https?:$/.test(url.protocol) && url.hostname !== '';
  } catch {
    return false;
  }
}
