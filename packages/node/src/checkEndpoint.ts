import { inputError } from './inputError';

/**
 * Parses an endpoint URL and refuses plain http to anything but this machine: a webhook code or a token sent
 * in clear text is a leaked credential. `allowInsecure` exists for test rigs on a private network.
 * The error names the field and the rule, never the URL (it may hold a webhook code).
 */
export function checkEndpoint(value: unknown, field: string, allowInsecure: boolean): URL {
  if (typeof value !== 'string' && !(value instanceof URL)) throw inputError(field, 'a URL string');
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw inputError(field, 'an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw inputError(field, 'an http(s) URL');
  if (url.username !== '' || url.password !== '') throw inputError(field, 'a URL without user info');
  if (url.protocol === 'http:' && !allowInsecure && !isLoopback(url.hostname)) {
    throw inputError(field, 'https for a non-loopback host (or pass allowInsecure: true)');
  }
  return url;
}

export function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}
