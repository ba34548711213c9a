import { RestError } from './RestError';

/** Parsed request data: null-prototype records so `__proto__`/`constructor` keys stay plain data. */
export type Params = Record<string, unknown>;

export interface ParseLimits {
  maxDepth: number;
  maxKeys: number;
}

export const DEFAULT_PARSE_LIMITS: ParseLimits = { maxDepth: 32, maxKeys: 10_000 };

export function nullRecord(): Params {
  return Object.create(null) as Params;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** PHP `urldecode`: `+` is a space, bad `%` escapes stay literal; the bytes must be valid UTF-8. */
export function urlDecode(text: string): string {
  if (!text.includes('%') && !text.includes('+')) return text;
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x2b) {
      bytes.push(0x20);
    } else if (ch === 0x25 && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (ch < 0x80) {
      bytes.push(ch);
    } else {
      const code = text.codePointAt(i)!;
      if (code > 0xffff) i++;
      bytes.push(...Buffer.from(String.fromCodePoint(code), 'utf8'));
    }
  }
  try {
    return utf8.decode(Uint8Array.from(bytes));
  } catch {
    throw RestError.argument('body', 'Request data is not valid UTF-8');
  }
}

/** Splits `name[a][b][]` into `['name', 'a', 'b', '']`; a malformed bracket part ends the path like PHP does. */
function keyPath(rawKey: string): string[] {
  const open = rawKey.indexOf('[');
  if (open <= 0) return [rawKey];
  const path = [rawKey.slice(0, open)];
  let rest = rawKey.slice(open);
  while (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) break;
    path.push(rest.slice(1, close));
    rest = rest.slice(close + 1);
  }
  return path;
}

/**
 * PHP appends at one past the highest integer key so far. Kept per record as keys are set (as `parsePhpQuery` in
 * packages/node does): scanning the keys on every `[]` made a body of 10,000 `a[]=` cost about 2 s, and bodies are
 * parsed before the token is checked. A record this parser did not build is scanned once, on its first `[]`.
 */
const nextIndexes = new WeakMap<Params, number>();
const INTEGER_KEY = /^(0|[1-9]\d*)$/;

function nextIndex(target: Params): number {
  let next = nextIndexes.get(target);
  if (next === undefined) {
    next = 0;
    for (const key of Object.keys(target)) if (INTEGER_KEY.test(key)) next = Math.max(next, Number(key) + 1);
    nextIndexes.set(target, next);
  }
  return next;
}

function put(target: Params, key: string, value: unknown): void {
  target[key] = value;
  if (INTEGER_KEY.test(key)) {
    const next = Number(key) + 1;
    if (next > nextIndex(target)) nextIndexes.set(target, next);
  }
}

/**
 * The name PHP registers (php_register_variable_ex, behind parse_str and a form or multipart body): leading spaces
 * skipped (spaces only), then spaces and dots in the base name, up to the first `[`, turned into `_`. A client that
 * sends `a.b` or `a b` in a form gets `a_b` on a portal, where a JSON body keeps the name: the emulator must not hide it.
 */
function registeredName(rawKey: string): string {
  const name = rawKey.replace(/^ +/, '');
  const open = name.indexOf('[');
  const base = open < 0 ? name : name.slice(0, open);
  return base.replace(/[ .]/g, '_') + name.slice(base.length);
}

/** Assigns one decoded `key=value` pair into `target` with PHP bracket semantics; a pair with no name is skipped. */
export function assignPath(target: Params, rawKey: string, value: unknown, limits: ParseLimits): void {
  const name = registeredName(rawKey);
  if (name === '' || name.startsWith('[')) return;
  const path = keyPath(name);
  if (path.length - 1 > limits.maxDepth) {
    throw RestError.argument('body', `Nesting deeper than ${limits.maxDepth} levels`);
  }
  let node = target;
  for (let i = 0; i < path.length; i++) {
    let key = path[i]!;
    if (key === '') key = String(nextIndex(node));
    if (i === path.length - 1) {
      put(node, key, value);
      return;
    }
    const existing = node[key];
    if (existing !== null && typeof existing === 'object' && !Array.isArray(existing)) {
      node = existing as Params;
    } else {
      const child = nullRecord();
      nextIndexes.set(child, 0);
      put(node, key, child);
      node = child;
    }
  }
}

/** PHP `parse_str`: `a=1&fields[message]=hi&list[]=x`. Values stay strings. */
export function parseQuery(
  query: string,
  limits: ParseLimits = DEFAULT_PARSE_LIMITS,
  into: Params = nullRecord(),
): Params {
  if (query === '') return into;
  const pairs = query.split('&');
  if (pairs.length > limits.maxKeys) throw RestError.argument('body', `More than ${limits.maxKeys} parameters`);
  for (const pair of pairs) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawKey = urlDecode(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : urlDecode(pair.slice(eq + 1));
    assignPath(into, rawKey, value, limits);
  }
  return into;
}

/** PHP `urlencode` (RFC 1738: spaces as `+`). */
function phpUrlEncode(text: string): string {
  return encodeURIComponent(text)
    .replace(/%20/g, '+')
    .replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function scalar(value: unknown): string {
  if (value === true) return '1';
  if (value === false) return '0';
  if (value === null || value === undefined) return '';
  return String(value);
}

/** PHP `http_build_query` as Bitrix24 sends events: every scalar becomes a string (`true`→`1`, `false`→`0`, `null`→``). */
export function httpBuildQuery(data: Record<string, unknown>): string {
  const parts: string[] = [];
  const walk = (prefix: string, value: unknown): void => {
    if (value !== null && typeof value === 'object') {
      const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
      for (const [k, v] of entries) walk(`${prefix}[${k}]`, v);
      return;
    }
    parts.push(`${phpUrlEncode(prefix)}=${phpUrlEncode(scalar(value))}`);
  };
  for (const [key, value] of Object.entries(data)) walk(key, value);
  return parts.join('&');
}
