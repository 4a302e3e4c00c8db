import fc from 'fast-check'

/**
 * Inputs an attacker or a broken client would send: ordinary values, boundary values and the
 * strings that have broken parsers, SQL, FTS5 and path handling before.
 */
export const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  '\ud800',
  '\udfff\ud800',
  '\u202e\u0000\ufeff',
  '../../../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  "'; DROP TABLE memories; --",
  '" OR 1=1 --',
  'NEAR(a b) AND content:* OR "',
  '*',
  '^',
  'content: tags:',
  '{"$gt": ""}',
  '__proto__',
  'constructor',
  'prototype',
  '${7*7}',
  '<script>alert(1)</script>',
  'sig_sk_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
  '1e309',
  '-0',
  'NaN',
  'Infinity',
  '9'.repeat(400),
  'a'.repeat(5000),
  '🙂'.repeat(300),
  'e\u0301'.repeat(50),
]

export const nastyString = fc.oneof(
  {weight: 3, arbitrary: fc.constantFrom(...NASTY_STRINGS)},
  {weight: 3, arbitrary: fc.string({unit: 'binary', maxLength: 80})},
  {weight: 2, arbitrary: fc.string({unit: 'grapheme', maxLength: 80})},
  {weight: 1, arbitrary: fc.string({unit: 'binary-ascii', minLength: 64, maxLength: 2000})},
)

export const nastyNumber = fc.oneof(
  fc.constantFrom(0, -0, 1, -1, 0.5, 1.0000001, 2 ** 31, 2 ** 53 + 1, -(2 ** 63), 1e308, Number.MIN_VALUE),
  fc.double({noNaN: true, noDefaultInfinity: true}),
  fc.integer(),
)

/** Any JSON value, weighted towards the shapes validators get wrong. */
export const nastyJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    {depthSize: 'small', withCrossShrink: true},
    nastyString,
    nastyNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), {maxLength: 5}),
    fc.dictionary(nastyString, tie('value'), {maxKeys: 4}),
  ),
})).value

export interface MutatedBody {
  body: Record<string, unknown>
  /** The one key whose value was replaced or added; a 400 must name it (or a key under it). */
  key: string
}

/** A valid body with exactly one field replaced by a hostile value (or one hostile extra field). */
export function mutateOneField(valid: fc.Arbitrary<Record<string, unknown>>, keys: readonly string[]): fc.Arbitrary<MutatedBody> {
  return fc
    .tuple(
      valid,
      fc.oneof(
        fc.constantFrom(...keys),
        nastyString.filter((k) => k.length > 0 && k !== '__proto__'),
      ),
      nastyJson,
    )
    .map(([body, key, value]) => {
      const copy: Record<string, unknown> = {...body}
      Object.defineProperty(copy, key, {value, enumerable: true, configurable: true, writable: true})
      return {body: copy, key}
    })
}

/** Bodies that are not JSON objects at all, or not JSON. */
export const rawBody = fc.oneof(
  fc.constantFrom(
    '',
    '{',
    '}',
    '[]',
    'null',
    '"x"',
    '1',
    'true',
    '{"a":}',
    '{"content": "x",}',
    '\u0000',
    '{"content":"x"}garbage',
    '\ufeff{"content":"x"}',
    '[{"content":"x"}]',
    '{"__proto__": {"admin": true}, "content": "x"}',
  ),
  fc.string({unit: 'binary', maxLength: 300}),
  nastyJson.map((value) => JSON.stringify(value) ?? 'undefined'),
)

/** Header values fetch can carry (visible ASCII + tab/space): what an HTTP client can put on the wire. */
export const headerValue = fc.oneof(
  fc.constantFrom(
    '',
    'Bearer',
    'Bearer ',
    'Bearer sig_sk_',
    'Basic YWRtaW46YWRtaW4=',
    'bearer sig_sk_000000000000_x',
    'Bearer ../../etc/passwd',
    'Bearer ' + 'A'.repeat(4000),
    'claude-code',
    'x'.repeat(6000),
  ),
  fc.string({unit: 'binary-ascii', maxLength: 200}).map((s) => s.replace(/[^\x20-\x7e\t]/g, '').trim()),
)

export const hostileHeaders = fc.record(
  {
    authorization: headerValue,
    'x-signet-harness': headerValue,
    'x-signet-connector-version': headerValue,
    'content-type': fc.constantFrom(
      'application/json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json; charset=utf-16',
      '',
    ),
    'x-forwarded-for': fc.constantFrom('127.0.0.1', '10.0.0.1', 'unknown'),
    host: fc.constantFrom('localhost', '127.0.0.1', 'evil.example', 'localhost:1'),
  },
  {requiredKeys: []},
)

/** Percent-encode every byte of the UTF-8 form (lone surrogates included, unlike encodeURIComponent). */
export function percentEncode(text: string): string {
  let out = ''
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte)
    out += /[A-Za-z0-9\-_.~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}
