import type { HttpOptions } from './createHttpClient';
import { inputError } from './inputError';

const TIMEOUTS = ['connectTimeoutMs', 'headersTimeoutMs', 'bodyTimeoutMs', 'keepAliveTimeoutMs', 'timeoutMs'] as const;

/**
 * Checks the connection options when a transport is made. undici checks most of them only when it opens the
 * first connection, so a bad value used to surface as a `network` error on every call (which callers retry as
 * transient), and some it quietly replaced: NaN and Infinity by its defaults, `0` by "no timeout". A size limit
 * of 0 or below failed every call as `server` after the portal had run it.
 */
export function checkHttpOptions(options: HttpOptions): void {
  const o = options as Record<string, unknown>;
  for (const field of TIMEOUTS) {
    // Zero turns an undici timeout off, which lets a call hang for good; 2^31 ms (24.8 days) is the most a Node
    // timer holds, and the browser transport's limit too.
    if (o[field] !== undefined && !isIntegerIn(o[field], 1, 2 ** 31 - 1)) {
      throw inputError(field, 'a whole number of milliseconds from 1 to 2^31 - 1', received(o[field]));
    }
  }
  for (const field of ['connections', 'maxResponseBytes'] as const) {
    if (o[field] !== undefined && !isIntegerIn(o[field], 1, Number.MAX_SAFE_INTEGER)) {
      throw inputError(field, 'a positive whole number', received(o[field]));
    }
  }
  const ca = o.ca;
  if (ca !== undefined && !(Array.isArray(ca) ? ca.every(isPem) : isPem(ca))) {
    throw inputError('ca', 'PEM certificates (text or a Buffer, not a file name), or an array of them');
  }
}

export function isIntegerIn(value: unknown, min: number, max: number): boolean {
  return Number.isInteger(value) && (value as number) >= min && (value as number) <= max;
}

/**
 * Text or bytes holding a PEM certificate. Node takes anything else without a word (a file name given instead of
 * its content trusts nothing), and every call then fails its TLS check as a `network` error, which callers retry.
 */
function isPem(value: unknown): boolean {
  if (typeof value !== 'string' && !Buffer.isBuffer(value)) return false;
  return PEM_CERTIFICATE.test(typeof value === 'string' ? value : value.toString('latin1'));
}

/** The PEM labels OpenSSL reads as a certificate. */
const PEM_CERTIFICATE = /-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----/;

/** A number is shown as it is; anything else only by its type (options sit next to secrets). */
export function received(value: unknown): string {
  return typeof value === 'number' ? String(value) : value === null ? 'null' : typeof value;
}
