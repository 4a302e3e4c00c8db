/**
 * Reading what a reverse proxy says about the request it forwards (`X-Forwarded-For`, `Forwarded`,
 * `X-Forwarded-Proto`, `X-Real-IP`). These run on requests a stranger shapes, so every parser here is
 * a single left-to-right scan with index arithmetic: no regular expression that could backtrack, no
 * splitting into arrays.
 */

/**
 * An address as written by a socket, a proxy or agent.yaml, in one comparable form: surrounding
 * quotes, `[…]` brackets and a port dropped, lower case, IPv4-mapped IPv6 (`::ffff:127.0.0.1`) as IPv4.
 */
export function normalizeAddress(raw: string): string {
  let address = raw.trim()
  if (address.length >= 2 && address.charCodeAt(0) === QUOTE && address.charCodeAt(address.length - 1) === QUOTE) {
    address = address.slice(1, -1).trim()
  }
  if (address.charCodeAt(0) === OPEN_BRACKET) {
    const close = address.indexOf(']')
    address = close === -1 ? address.slice(1) : address.slice(1, close)
  } else {
    // One colon is IPv4 (or a name) with a port; two or more is a bare IPv6 address, kept whole.
    const colon = address.indexOf(':')
    if (colon !== -1 && address.indexOf(':', colon + 1) === -1) address = address.slice(0, colon)
  }
  address = address.toLowerCase()
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address
}

/**
 * The client address a forwarding header names, normalized; 'unknown' when it names nobody or
 * something far longer than any address (the longest, a quoted bracketed IPv6 with a zone and a
 * port, is under 70 characters) — no need to walk a stranger's megabyte to say it is not loopback.
 */
export function namedClient(raw: string | undefined): string {
  if (raw === undefined || raw.length > MAX_ADDRESS_LENGTH) return 'unknown'
  return normalizeAddress(raw) || 'unknown'
}

const MAX_ADDRESS_LENGTH = 100

/** The last entry of a comma-separated list header such as X-Forwarded-For: the one the nearest proxy appended. */
export function lastListEntry(header: string): string {
  return header.slice(header.lastIndexOf(',') + 1).trim()
}

/**
 * One parameter (`for`, `proto`, …) of the last element of a `Forwarded` header (RFC 7239) — the
 * element the nearest proxy appended. Commas and semicolons inside quoted strings do not split.
 * Returns undefined when that element does not carry the parameter.
 */
export function lastForwardedParameter(header: string, name: string): string | undefined {
  const end = header.length
  let index = lastElementStart(header)
  while (index < end) {
    // key: up to '=' (or a ';' that ends a key without a value); compared in place, nothing allocated
    const keyStart = index
    while (index < end && header.charCodeAt(index) !== EQUALS && header.charCodeAt(index) !== SEMICOLON) index++
    const matches = isKey(header, keyStart, index, name)
    if (index >= end || header.charCodeAt(index) === SEMICOLON) {
      index++
      continue
    }
    index++ // past '='
    while (index < end && isSpace(header.charCodeAt(index))) index++
    const valueStart = index
    let valueEnd: number
    let escaped = false
    if (header.charCodeAt(index) === QUOTE) {
      index++
      while (index < end && header.charCodeAt(index) !== QUOTE) {
        if (header.charCodeAt(index) === BACKSLASH) {
          escaped = true
          index++
        }
        index++
      }
      valueEnd = Math.min(index + 1, end)
      while (index < end && header.charCodeAt(index) !== SEMICOLON) index++
    } else {
      while (index < end && header.charCodeAt(index) !== SEMICOLON) index++
      valueEnd = index
    }
    index++ // past ';'
    if (matches) return unquote(header.slice(valueStart, valueEnd).trim(), escaped)
  }
  return undefined
}

/** Is header[start, end), spaces around it ignored, the (lower-case) `name`, in any case? */
function isKey(header: string, start: number, end: number, name: string): boolean {
  while (start < end && isSpace(header.charCodeAt(start))) start++
  while (end > start && isSpace(header.charCodeAt(end - 1))) end--
  if (end - start !== name.length) return false
  for (let offset = 0; offset < name.length; offset++) {
    if ((header.charCodeAt(start + offset) | 0x20) !== name.charCodeAt(offset)) return false
  }
  return true
}

/** A token as is; a quoted string without its quotes and backslash escapes. */
function unquote(value: string, escaped: boolean): string {
  if (value.charCodeAt(0) !== QUOTE) return value
  const inner = value.slice(1, value.length > 1 && value.charCodeAt(value.length - 1) === QUOTE ? -1 : undefined)
  return escaped ? unescapeQuoted(inner) : inner
}

/** Where the last element of a Forwarded header begins: just after its last comma outside quotes. */
function lastElementStart(header: string): number {
  let start = 0
  let quoted = false
  for (let index = 0; index < header.length; index++) {
    const code = header.charCodeAt(index)
    if (quoted) {
      if (code === BACKSLASH) index++
      else if (code === QUOTE) quoted = false
    } else if (code === QUOTE) {
      quoted = true
    } else if (code === COMMA) {
      start = index + 1
    }
  }
  return start
}

function unescapeQuoted(value: string): string {
  // `\\(.)` cannot backtrack: each backslash is consumed with the one character after it.
  return value.replace(/\\([\s\S])/g, '$1')
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09
}

const QUOTE = 0x22
const OPEN_BRACKET = 0x5b
const BACKSLASH = 0x5c
const COMMA = 0x2c
const SEMICOLON = 0x3b
const EQUALS = 0x3d
