import { B24Error } from '@b24-typing/core';

/**
 * Keeps every secret a transport has held (webhook code, access and refresh tokens, client secret) and scrubs
 * them from the errors it produces. Our own messages never contain them; this guards the text we pass on
 * from elsewhere (a portal's `error_description`, a proxy page) that could echo a request back.
 */
export interface Redactor {
  add(secret: string): void;
  text(value: string): string;
  error<E>(error: E): E | B24Error;
}

export function createRedactor(): Redactor {
  const secrets = new Set<string>();
  const text = (value: string): string => {
    let out = value;
    for (const secret of secrets) {
      if (out.includes(secret)) out = out.split(secret).join('***');
      const encoded = encodeURIComponent(secret);
      if (encoded !== secret && out.includes(encoded)) out = out.split(encoded).join('***');
    }
    return out;
  };
  return {
    add(secret) {
      // Very short strings would scrub ordinary words; real codes and tokens are long.
      if (secret.length >= 4) secrets.add(secret);
    },
    text,
    error(error) {
      if (!(error instanceof B24Error)) return error;
      const message = text(error.message);
      const code = text(error.code);
      if (message === error.message && code === error.code) return error;
      return new B24Error({
        code,
        message,
        kind: error.kind,
        ...(error.status === undefined ? {} : { status: error.status }),
      });
    },
  };
}
