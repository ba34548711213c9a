import type { CorsOption } from './types';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export function originAllowed(origin: string, option: CorsOption): boolean {
  if (option === true) return true;
  if (option === false) return false;
  if (option === 'loopback') {
    try {
      const url = new URL(origin);
      return (url.protocol === 'http:' || url.protocol === 'https:') && LOOPBACK.has(url.hostname);
    } catch {
      return false;
    }
  }
  return option.includes(origin) || option.includes('*');
}

/** Headers for an allowed cross-origin request; for a preflight also the allowed methods and headers. */
export function corsHeaders(
  origin: string,
  preflight: { requestHeaders: string | undefined; privateNetwork: boolean } | null,
): Record<string, string> {
  const headers: Record<string, string> = { 'access-control-allow-origin': origin, vary: 'Origin' };
  if (preflight) {
    headers['access-control-allow-methods'] = 'GET, POST, PUT, DELETE, OPTIONS';
    headers['access-control-allow-headers'] = preflight.requestHeaders ?? 'Content-Type, Authorization';
    headers['access-control-max-age'] = '600';
    if (preflight.privateNetwork) headers['access-control-allow-private-network'] = 'true';
  }
  return headers;
}
