/**
 * PostgreSQL refuses NUL in text and jsonb and lone UTF-16 surrogates in
 * jsonb. Any text that came from a client may hold them; a consumer that
 * writes such text would fail on the same message for ever. Each is replaced
 * with U+FFFD, the Unicode replacement character, in strings and keys alike.
 */
// eslint-disable-next-line no-control-regex
const ILL_FORMED = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function wellFormedText(text: string): string {
  return text.replace(ILL_FORMED, '\ufffd');
}

/** A parsed JSON value with every string and key made well-formed (a copy only where needed). */
export function wellFormedJson(value: unknown): unknown {
  if (typeof value === 'string') return wellFormedText(value);
  if (Array.isArray(value)) return value.map(wellFormedJson);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[wellFormedText(k)] = wellFormedJson(v);
    return out;
  }
  return value;
}
