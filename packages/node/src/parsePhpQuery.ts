import { B24Error } from '@b24-typing/core';
import { isIntegerIn, received } from './checkHttpOptions';
import { inputError } from './inputError';

/** Bounds on what an incoming form body may cost to parse. */
export interface PhpQueryLimits {
  /** Longest body accepted, in UTF-16 code units of the raw (still encoded) text. Default 1 MiB. */
  readonly maxLength?: number;
  /** Deepest bracket nesting (`a[b][c]` is 3). Default 20. */
  readonly maxDepth?: number;
  /** Most `key=value` pairs. Default 10,000. */
  readonly maxPairs?: number;
}

type Node = string | Branch;
/** A Map, not an object, while parsing: no key, however named, can reach a prototype. */
type Branch = Map<string, Node>;

/** Keys that could reach a prototype once the tree becomes plain objects; a body that uses them is refused. */
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Reads a form body the way PHP's `parse_str` does (`data[bot][id]=1`, `a[]=x`, `+` as space), which is how the
 * portal sends events (`http_build_query`, reference §4.4). Written independently from the emulator's parser
 * on purpose. Values stay strings: only the caller knows which field is a number or a boolean.
 *
 * Differences from PHP, all on the side of refusing: a malformed bracket key, a forbidden key (`__proto__`,
 * `constructor`, `prototype`) or a body over the limits is a `B24Error` (kind `input`), never a partial result.
 * Objects whose keys are exactly `0…n-1` become arrays.
 */
export function parsePhpQuery(body: string, limits: PhpQueryLimits = {}): Record<string, unknown> {
  // A public export: from JavaScript a Buffer or a parsed object would fail below as a bare TypeError.
  if (typeof body !== 'string') throw inputError('body', 'a string', received(body));
  checkLimits(limits);
  const maxLength = limits.maxLength ?? 1024 * 1024;
  const maxDepth = limits.maxDepth ?? 20;
  const maxPairs = limits.maxPairs ?? 10_000;
  if (body.length > maxLength) throw malformed(`body longer than ${maxLength} characters`);
  const root: Branch = new Map();
  if (body === '') return {};
  const parts = body.split('&');
  if (parts.length > maxPairs) throw malformed(`more than ${maxPairs} fields`);
  for (const part of parts) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawKey = eq === -1 ? part : part.slice(0, eq);
    const rawValue = eq === -1 ? '' : part.slice(eq + 1);
    const path = splitKey(decode(rawKey), maxDepth);
    assign(root, path, decode(rawValue));
  }
  return toPlain(root) as Record<string, unknown>;
}

/**
 * The limits are the caller's: each must be a positive whole number when given. `NaN` used to turn a bound off
 * (every comparison with it is false), and a JSON body nested without bound then overflowed the stack.
 */
export function checkLimits(limits: PhpQueryLimits): void {
  if (typeof limits !== 'object' || limits === null) throw inputError('limits', 'an object', received(limits));
  for (const field of ['maxLength', 'maxDepth', 'maxPairs'] as const) {
    const value = limits[field];
    if (value !== undefined && !isIntegerIn(value, 1, Number.MAX_SAFE_INTEGER)) {
      throw inputError(`limits.${field}`, 'a positive whole number', received(value));
    }
  }
}

function malformed(rule: string): B24Error {
  return new B24Error({ code: 'INVALID_EVENT_BODY', kind: 'input', message: `body: ${rule}` });
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    throw malformed('invalid percent-encoding');
  }
}

/** `a[b][]` → ['a', 'b', '']; '' means "append". */
function splitKey(key: string, maxDepth: number): string[] {
  const open = key.indexOf('[');
  const base = open === -1 ? key : key.slice(0, open);
  if (base === '') throw malformed('a field has an empty name');
  const path = [base];
  let rest = open === -1 ? '' : key.slice(open);
  while (rest !== '') {
    if (rest[0] !== '[') throw malformed('text after a closing bracket in a field name');
    const close = rest.indexOf(']');
    if (close === -1) throw malformed('unbalanced brackets in a field name');
    const segment = rest.slice(1, close);
    if (segment.includes('[')) throw malformed('nested brackets in a field name');
    path.push(segment);
    if (path.length > maxDepth) throw malformed(`nesting deeper than ${maxDepth} levels`);
    rest = rest.slice(close + 1);
  }
  for (const segment of path) {
    if (FORBIDDEN.has(segment)) throw malformed(`the field name "${segment}" is not allowed`);
  }
  return path;
}

function assign(root: Branch, path: readonly string[], value: string): void {
  let node = root;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i] === '' ? String(nextIndex(node)) : path[i]!;
    if (i === path.length - 1) {
      put(node, segment, value);
      return;
    }
    const child = node.get(segment);
    if (child instanceof Map) {
      node = child;
    } else {
      // PHP also lets a later `a[b]=…` replace an earlier scalar `a=…`.
      const fresh: Branch = new Map();
      put(node, segment, fresh);
      node = fresh;
    }
  }
}

/**
 * PHP appends at one past the highest integer key so far. Kept per branch as keys are set: scanning the keys on
 * every `[]` made a body of 10,000 `a[]=` (60 kB, parsed before the token is checked) cost over a second.
 */
const nextIndexes = new WeakMap<Branch, number>();

function nextIndex(node: Branch): number {
  return nextIndexes.get(node) ?? 0;
}

function put(node: Branch, key: string, value: Node): void {
  node.set(key, value);
  if (/^(0|[1-9]\d*)$/.test(key)) {
    const next = Number(key) + 1;
    if (next > nextIndex(node)) nextIndexes.set(node, next);
  }
}

function toPlain(node: Node): unknown {
  if (typeof node === 'string') return node;
  const keys = [...node.keys()];
  if (keys.length > 0 && keys.every((key, index) => key === String(index))) {
    return keys.map((key) => toPlain(node.get(key)!));
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = toPlain(node.get(key)!);
  return out;
}
