/**
 * Serialises params the way PHP's `http_build_query` does (`fields[message]=hi&ids[0]=1`), because a `batch`
 * command is a `method?query` string that the portal reads with `parse_str`: JSON nesting does not survive
 * there. Booleans become `1`/`0` (what PHP would send); `null`/`undefined` are left out, as PHP does.
 */
export function toPhpQuery(params: Record<string, unknown>): string {
  const parts: string[] = [];
  const add = (key: string, value: unknown): void => {
    if (value === null || value === undefined) return;
    if (typeof value === 'boolean') {
      parts.push(`${encodeURIComponent(key)}=${value ? '1' : '0'}`);
    } else if (value instanceof Date) {
      parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(value.toISOString())}`);
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => {
        add(`${key}[${index}]`, item);
      });
    } else if (typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) add(`${key}[${k}]`, v);
    } else {
      parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`);
    }
  };
  for (const [key, value] of Object.entries(params)) add(key, value);
  return parts.join('&');
}
