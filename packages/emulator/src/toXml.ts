/** PHP stores these array keys as integers; `CRestServer::outputXml` writes an integer key as `<item>`. */
const INTEGER_KEY = /^(0|-?[1-9]\d{0,17})$/;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/**
 * A scalar as PHP's string conversion prints it: `true` "1", `false` and `null` "", floats with PHP's default
 * `precision` of 14 significant digits (so `time.start` loses its sub-millisecond digits, as on a portal).
 */
function scalarText(value: unknown): string {
  if (value === true) return '1';
  if (value === false || value === null || value === undefined) return '';
  if (typeof value === 'number') {
    return Number.isInteger(value) && Math.abs(value) < 1e15 ? String(value) : String(Number(value.toPrecision(14)));
  }
  return String(value).replace(/[&<>"']/g, (char) => ESCAPES[char]!);
}

function elements(data: object): string {
  let out = '';
  for (const [rawKey, value] of Object.entries(data)) {
    const key = Array.isArray(data) || INTEGER_KEY.test(rawKey) ? 'item' : rawKey;
    out += `<${key}>${value !== null && typeof value === 'object' ? elements(value) : scalarText(value)}</${key}>`;
  }
  return out;
}

/**
 * The `.xml` transport (reference §5: "Appending `.xml` returns XML (`<response>…`)"): the envelope a `.json` call
 * gets, result or error, serialised the way `CRestServer::outputXml(['response' => $data])` does: every key an
 * element, list items `<item>`, values escaped like `CDataXML::xmlspecialchars`, no XML declaration. Keys are
 * written as they are, as PHP does, so a batch command named `a b` makes XML no parser accepts, there as here.
 */
export function toXml(envelope: object): string {
  return elements({ response: envelope });
}
