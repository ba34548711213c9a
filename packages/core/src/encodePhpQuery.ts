import { B24InputError } from './B24InputError';

/**
 * For transport authors: encodes REST parameters the way PHP's `parse_str` reads them back (`fields[message]=…`,
 * `ids[0]=1`). A `batch` command is a `method?query` string that the portal decodes with `parse_str` (reference
 * §8), so JSON nesting cannot be used there; a form-encoded request body is read the same way (§5). Every
 * transport (node, browser, your own) should encode the same way, so one call means the same on each.
 *
 * Value conventions (reference §8, §1.3):
 * - every value becomes a string; a `Date` becomes its ISO string, a `bigint` its digits; a boxed primitive
 *   (`new String('a')`, `Object(3n)`, of any realm) is encoded as its primitive, as JSON unwraps it;
 * - an object with a `toJSON` method (a `URL`, a dayjs, moment, luxon or Temporal value, a Decimal) is encoded by what
 *   that returns, by these same rules, as JSON.stringify (a node transport's `call`) sends it: not by its own fields,
 *   which are its internals (a moment's `_d`, `_i` …) or none at all (a `URL`'s: it was left out). Asked once, as
 *   JSON asks: a `toJSON` that returns its own object sends that object's fields;
 * - `true`/`false` become `Y`/`N`: the classic `im.*` methods check for `Y`, and imbot.v2's boolean normaliser
 *   accepts `Y`/`1`/`TRUE`, so `Y`/`N` is the one spelling both read correctly (`1`/`0` would not be `Y`);
 * - `null` and `undefined` are left out, as PHP's `http_build_query` does and as a JSON body means: "not
 *   given", so the server applies its default. An empty string instead would be a value: `duration=` fails
 *   imbot.v2's `is_numeric` check where an absent `duration` means "server default";
 * - empty arrays and objects are left out, as `http_build_query` does: the format cannot express them.
 *
 * Bad input throws `B24InputError` (kind `input`) naming the path (`params.fields.ids[2]`) and never quoting the
 * value: a key with `[`/`]` or an empty key (PHP would read a different structure), a non-finite number, an
 * invalid `Date` (its `toJSON` gives null: it would be left out), a `toJSON` that throws (its error is not kept: it
 * may quote the value), a function or symbol, a key or string with a lone surrogate (such a key is named by the object
 * holding it), a `Map`, `Set`, `WeakMap` or `WeakSet` of any realm (an object whose `toString` tag ends in `Map` or
 * `Set`: its entries are not own properties, so it would be left out like an empty object; other class instances
 * without a `toJSON` are sent by their own fields), a cycle, or nesting deeper than 32 levels. So is a value whose
 * getter throws (a property's, an array index's, its `toJSON`'s or `Symbol.toStringTag`'s, or a Proxy's trap, named by
 * the object), with the node transports' JSON `call` wording, its error not kept (not even as `cause`: a getter loading
 * a credential may quote it). `field` is the name the path starts with, e.g. `calls[3].params` for the fourth command
 * of a batch.
 */
export function encodePhpQuery(params: Record<string, unknown>, field = 'params'): string {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new B24InputError(field, 'a plain object');
  }
  const pairs: string[] = [];
  // The arrays and objects on the path being encoded (not `params` itself: a reference back to it is caught one
  // level down). Meeting one of them again is a cycle; one shared by two siblings is not, and is written twice.
  const seen = new Set<object>();
  // The path of what is being read, for a getter (or a Proxy's trap) that throws: set before each value is read, so
  // one try/catch around the whole walk names it (the bundle is smaller than one per read). Its own reads (its toJSON,
  // its tag, its keys) come before any of its children is read, so `at` is still its path then.
  let at = field;

  // The own entries of an object. At the top level the name is still empty, so each key is a name of its own.
  const encodeEntries = (object: object, name: string, path: string): void => {
    // A Map's or Set's entries are not own properties: Object.keys lists none, and the data would be left out as
    // an empty object is, lost without an error (a WeakMap's or WeakSet's cannot be read at all). Known by its tag
    // (`[object Map]`, `[object WeakSet]` …), not `instanceof`: one from another realm (an iframe, node:vm) is not an
    // instance of this realm's Map. Other class instances are sent by their own fields.
    if (/(Map|Set)]/.test({}.toString.call(object))) {
      throw new B24InputError(path, 'a plain object or array (not a Map or Set)');
    }
    // Each value read on its own (not Object.entries, which reads them all at once), after `at` names it.
    for (const key of Object.keys(object)) {
      // Checked first, and named by the object holding it (as the node transports' JSON `call` names it): the key
      // itself in `field` would make the error's own text malformed.
      const escaped = encodeText(key, path);
      at = `${path}.${key}`;
      // An empty key, or one with a bracket (one test rather than two: the bundle is smaller).
      if (/^$|[[\]]/.test(key)) {
        throw new B24InputError(at, 'a non-empty key without "[" or "]" (PHP bracket syntax)');
      }
      encodeValue(name ? `${name}[${escaped}]` : escaped, (object as Record<string, unknown>)[key], at);
    }
  };

  const encodeValue = (name: string, value: unknown, path: string): void => {
    // A URL, a dayjs, moment, luxon or Temporal value, a Decimal, a Date (of any realm): sent as its `toJSON` gives
    // it, as a node `call` (JSON) sends it. Asked once, as JSON asks: what it gives is encoded as it is (so a toJSON
    // returning its own object is no loop), the values inside it asked in turn. Called without the key JSON passes
    // (the property name): none of those reads it, and the bundle is smaller. One that throws is bad input before
    // anything is sent (a raw error would read as a network failure), named by its path, never quoting its error.
    if (typeof (value as Partial<WithToJSON> | undefined)?.toJSON === 'function') {
      // A Date's toJSON is its ISO string, but null (left out) for an invalid one, which is refused instead. Known by
      // its tag, as a Map is: another realm's Date (an iframe) is no `instanceof Date`. `+value` is the time value
      // that toJSON itself tests (and shorter than getTime() in the bundle).
      if (/Date]/.test({}.toString.call(value)) && Number.isNaN(+(value as Date)))
        throw new B24InputError(path, 'a valid Date');
      try {
        value = (value as WithToJSON).toJSON();
      } catch {
        throw new B24InputError(path, 'an object whose toJSON does not throw');
      }
    }
    if (value === undefined || value === null) return;
    // A boxed primitive (`new String('a')`, `Object(3n)`) is its primitive, as JSON unwraps it (its `valueOf`; a
    // primitive's is itself): a String object was sent as its characters (`a[0]=a`), a Number, Boolean or BigInt one
    // left out like an empty object. Known by its tag, as a Date is (another realm's is no `instanceof String`), the whole
    // word: a class tagged `BigNumber` is no Number. A Symbol one is refused as a symbol is.
    if (typeof value !== 'object' || / (String|Number|Boolean|BigInt|Symbol)]/.test({}.toString.call(value))) {
      pairs.push(`${name}=${encodeLeaf(value.valueOf(), path)}`);
      return;
    }
    // The depth limit, 32, written out in both places (no module constant: the bundle is smaller); the containers on
    // the path (`seen`) are the depth, so it is not passed down.
    if (seen.size >= 32) throw new B24InputError(path, 'nested at most 32 levels deep');
    if (seen.has(value)) throw new B24InputError(path, 'free of cycles');
    seen.add(value);
    if (Array.isArray(value)) {
      // Indices, not forEach's items: forEach reads an item before `at` could name it. A hole is read as undefined,
      // left out as forEach skipped it.
      for (const index of value.keys()) {
        at = `${path}[${index}]`;
        encodeValue(`${name}[${index}]`, value[index], at);
      }
    } else {
      encodeEntries(value, name, path);
    }
    seen.delete(value);
  };

  try {
    encodeEntries(params, '', field);
  } catch (error) {
    // Anything but our own refusal came from reading the input. Raw, it would reach a transport's caller as a
    // network failure (retried) with the getter's error, which may quote a secret, as its `cause`.
    throw error instanceof B24InputError ? error : new B24InputError(at, 'a value whose getter does not throw');
  }
  return pairs.join('&');
}

/** What JSON.stringify asks a value for before it writes it: a URL, a date library's value, a Date. */
interface WithToJSON {
  toJSON(): unknown;
}

/** `encodeURIComponent`, refusing a lone surrogate (text cut inside an emoji, say) as input, not as a URIError. */
function encodeText(text: string, path: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    throw new B24InputError(path, 'well-formed text');
  }
}

/** The query text of one value that is not an array or object, escaped; refuses what has no such text. */
function encodeLeaf(value: unknown, path: string): string {
  if (typeof value === 'string') return encodeText(value, path);
  if (typeof value === 'boolean') return value ? 'Y' : 'N';
  // Escaped, a bigint's digits as a number's: 1e21 is written `1e+21`, and a bare `+` in a query is a space to PHP.
  // (Number.isFinite is false for anything but a number.)
  if (typeof value === 'bigint' || Number.isFinite(value)) return encodeURIComponent(value as number);
  if (typeof value === 'number') throw new B24InputError(path, 'a finite number');
  throw new B24InputError(path, 'a string, number, boolean, null, Date, array or object', `a ${typeof value}`);
}
