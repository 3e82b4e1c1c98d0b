/** The hostile values the fuzzer draws from: boundaries, type confusion, text PostgreSQL refuses, bytes that are not UTF-8. */

export const NESTED = (depth: number, kind: 'array' | 'object'): string =>
  kind === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

export const EVIL_STRINGS = [
  '', ' ', 'a\u0000b', '\u0000', '\ud800', 'x\udfff', 'ok\ud83d', '😀'.repeat(20), 'ß'.repeat(300), '\u202egnp.exe',
  "' OR 1=1 --", '"; DROP TABLE x; --', '../../etc/passwd', '%00', '${jndi:ldap://x}', '<script>alert(1)</script>',
  '\n\r\t', 'null', '-1', '1e21', 'x'.repeat(10_001), 'x'.repeat(40_000), 'Ω≈ç√∫', '\\u0000', 'a'.repeat(257),
];
export const EVIL_NUMBERS = [0, -1, 1, 2147483647, 2147483648, -2147483649, 9007199254740992, 1e21, 1.5, -0, 1e308, 5e-324, 65536, 100001];
export const EVIL_OTHERS: unknown[] = [true, false, null, [], {}, [1, 'a'], { a: 1 }, [[[[[]]]]], { __nested: { deep: [null] } }];

export const QUERY_VALUES = [
  '0', '-1', '2147483648', '-2147483649', '1e21', '99999999999999999999999', 'NaN', 'Infinity', '1.5', '', 'true', 'false',
  '%00', 'a%00b', '%ED%A0%80', '%ff', '%C0%AF', 'x'.repeat(3000), '%5Bobject%20Object%5D', 'a,b', '%F0%9F%98%80', "'%20OR%201=1", 'null',
  '00000000-0000-0000-0000-000000000000', '2026-13-45T99:99:99Z', '-0', '0x10',
];

export const PATH_IDS = [
  '0', '-1', 'null', 'undefined', '%00', 'a%00b', '%ff', '%ED%A0%80', '%C0%80', 'x'.repeat(300), 'x'.repeat(150), '..', '%2e%2e',
  '%2F', '%20', '%C3%BC', '%F0%9F%98%80', "'", '1e21', '00000000-0000-0000-0000-000000000000', 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
  '%25', '%', '%zz', '*', 'me', 'a;b', 'a%3Fb', '99999999999999999999',
];

export const RAW_BODIES: Array<() => Buffer> = [
  () => Buffer.from([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), // {"name":"<invalid UTF-8>"}
  () => Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]), // CESU-8 surrogate
  () => Buffer.from([0xc0, 0xaf]),
  () => Buffer.from('{"name":'),
  () => Buffer.from('{"__proto__":{"isAdmin":true}}'),
  () => Buffer.from('{"constructor":{"prototype":{"x":1}}}'),
  () => Buffer.from('[]'),
  () => Buffer.from('"just a string"'),
  () => Buffer.from('12345678901234567890123'),
  () => Buffer.from('null'),
  () => Buffer.from(NESTED(5000, 'array')),
  () => Buffer.from(NESTED(20_000, 'object')),
  () => Buffer.from(`{"description":${NESTED(1000, 'object')}}`),
  () => Buffer.from(' '),
  () => Buffer.from('{"a":1,"a":2}'),
  () => Buffer.from('\ufeff{"name":"bom"}'),
  () => Buffer.from(`{"name":"${'y'.repeat(1_200_000)}"}`), // past the body limit
];

export const CONTENT_TYPES = [
  'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'a/b/c', ';;;',
  'application/json; charset=latin1', 'application/vnd.slipway+json', 'APPLICATION/JSON', 'application/jsonx', '',
];

export const IF_MATCH = ['garbage!!', '"1"', 'W/"1"', '*', '"abc"', '"1", "2"', '""', '"' + '9'.repeat(40) + '"', 'W/', '"unterminated'];
export const IDEMPOTENCY_KEYS = ['k', 'x'.repeat(255), 'x'.repeat(256), 'has space', 'ok-key-1', '"quoted"', '\t'];
export const AUTH_HEADERS = ['Bearer ', 'Bearer garbage', 'Basic YWxhZGRpbjpvcGVuc2VzYW1l', 'Bearer a.b.c', 'Bearer ' + 'x'.repeat(5000), 'bearer'];
