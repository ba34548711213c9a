import { B24InputError, describeValue } from './B24InputError';

/** Bot ids are positive integers; a trimmed numeric string (as events deliver them) is accepted. */
export function validateBotId(value: unknown, field = 'botId'): number {
  const rule = 'a positive integer bot id';
  const id =
    typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(id) || id <= 0) throw new B24InputError(field, rule, describeValue(value));
  return id;
}

/** The longest `botToken` imbot.v2 accepts (longer ones are rejected with `BOT_TOKEN_INVALID_LENGTH`). */
export const MAX_BOT_TOKEN_LENGTH = 40;

/**
 * A bot token is optional (OAuth needs none), otherwise a non-empty string of at most 40 characters. The error names
 * the length only: the token itself is a secret and never appears in a message.
 */
export function validateBotToken(value: unknown, field = 'botToken'): string | undefined {
  if (value === undefined) return undefined;
  const rule = `a non-empty string of at most ${MAX_BOT_TOKEN_LENGTH} characters without blanks`;
  if (typeof value !== 'string') throw new B24InputError(field, rule, `a ${value === null ? 'null' : typeof value}`);
  if (value.length === 0 || value.length > MAX_BOT_TOKEN_LENGTH || /\s/.test(value)) {
    throw new B24InputError(field, rule, `a string of ${value.length} characters`);
  }
  return value;
}

/** imbot.v2 shows a status for 1..600 s and clamps anything else silently, so we refuse it loudly instead. */
export function validateLeaseSec(value: unknown, field = 'leaseSec'): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 600) {
    throw new B24InputError(field, 'an integer number of seconds between 1 and 600', describeValue(value));
  }
  return value;
}
