import type {AST} from 'toml-eslint-parser'

import {SignetError} from '../errors.js'

/**
 * Surgical edits of a TOML config (Codex `config.toml`): the parser reports source ranges, so
 * we find the exact bytes that define one table (`[mcp_servers.signet]`, its sub-tables, or a
 * dotted/inline definition of the same key) and change only those. Other tables, comments and
 * formatting are never touched.
 *
 * The parser loads on the first file that has something to parse (json-config-file.ts says why).
 */

export type TomlScalar = string | number | boolean
export type TomlValue = TomlScalar | TomlScalar[] | {[key: string]: TomlScalar | TomlScalar[]}

async function parse(text: string, label: string): Promise<AST.TOMLProgram> {
  const {parseTOML} = await import('toml-eslint-parser')
  try {
    return parseTOML(text)
  } catch (error) {
    const {lineNumber, column, message} = error as {lineNumber?: number; column?: number; message: string}
    const where = lineNumber ? ` at line ${lineNumber}, column ${(column ?? 0) + 1}` : ''
    throw new SignetError(`cannot edit ${label}: ${message.replace(/\s+/g, ' ')}${where} — fix the file (or move it aside) and retry`, 'invalid_harness_config')
  }
}

function keyName(key: AST.TOMLBare | AST.TOMLQuoted): string {
  return key.type === 'TOMLBare' ? key.name : key.value
}

function startsWith(path: string[], prefix: string[]): boolean {
  return prefix.every((segment, index) => path[index] === segment)
}

/** [start, end) spans of whole lines that define `keyPath` or anything below it. */
function locate(text: string, program: AST.TOMLProgram, keyPath: string[]): Array<[number, number]> {
  const spans: Array<[number, number]> = []
  const top = program.body[0]
  const visitPairs = (pairs: AST.TOMLKeyValue[], base: string[]) => {
    for (const pair of pairs) {
      const full = [...base, ...pair.key.keys.map(keyName)]
      if (startsWith(full, keyPath)) spans.push(wholeLines(text, pair.range[0], pair.range[1]))
    }
  }
  for (const item of top.body) {
    if (item.type === 'TOMLKeyValue') {
      visitPairs([item], [])
    } else if (startsWith(item.resolvedKey.map(String), keyPath)) {
      spans.push(wholeLines(text, item.range[0], item.range[1]))
    } else {
      visitPairs(item.body, item.resolvedKey.map(String))
    }
  }
  return spans
}

/** Widen [start, end) to full lines, including the trailing comment and newline. */
function wholeLines(text: string, start: number, end: number): [number, number] {
  const lineStart = text.lastIndexOf('\n', start - 1) + 1
  const newline = text.indexOf('\n', end)
  return [lineStart, newline === -1 ? text.length : newline + 1]
}

/** The static value at `keyPath`, or undefined. */
export async function getTomlValue(text: string, keyPath: string[], label: string): Promise<unknown> {
  if (text.trim() === '') return undefined
  const program = await parse(text, label)
  let value: unknown = (await import('toml-eslint-parser')).getStaticTOMLValue(program)
  for (const segment of keyPath) {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined
    value = (value as Record<string, unknown>)[segment]
  }
  return value
}

const BARE_KEY = /^[A-Za-z0-9_-]+$/

function renderKey(key: string): string {
  return BARE_KEY.test(key) ? key : JSON.stringify(key)
}

function renderValue(value: TomlValue): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (Array.isArray(value)) return `[${value.map((item) => renderValue(item)).join(', ')}]`
  return `{ ${Object.entries(value)
    .map(([key, item]) => `${renderKey(key)} = ${renderValue(item)}`)
    .join(', ')} }`
}

/** `[a.b]` followed by `key = value` lines; ends with a newline. */
export function renderTomlTable(keyPath: string[], values: Record<string, TomlValue>, eol = '\n'): string {
  const lines = [`[${keyPath.map(renderKey).join('.')}]`]
  for (const [key, value] of Object.entries(values)) lines.push(`${renderKey(key)} = ${renderValue(value)}`)
  return lines.join(eol) + eol
}

function removeSpans(text: string, spans: Array<[number, number]>): string {
  let result = text
  for (const [start, end] of [...spans].sort((a, b) => b[0] - a[0])) {
    const head = result.slice(0, start)
    const tail = result.slice(end)
    const atEnd = tail.trim() === ''
    // drop the blank separator line that install put before the table
    const blank = head.endsWith('\r\n\r\n') ? 2 : head.endsWith('\n\n') ? 1 : 0
    const blankAfter = tail.startsWith('\n') || tail.startsWith('\r\n')
    const from = blank > 0 && (atEnd || blankAfter) ? start - blank : start
    result = result.slice(0, from) + (atEnd ? '' : tail)
  }
  return result
}

/** True when a table with these exact values (no more, no fewer) is what the file defines. */
function sameTable(current: unknown, desired: Record<string, TomlValue>): boolean {
  return (
    JSON.stringify(current) === JSON.stringify(desired) ||
    (current !== null && typeof current === 'object' && JSON.stringify(sortKeys(current)) === JSON.stringify(sortKeys(desired)))
  )
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, item]) => [key, sortKeys(item)]),
    )
  }
  return value
}

/**
 * Make `keyPath` a table holding exactly `values`. Already right → the same text. Otherwise
 * every existing definition of the key is cut out and one table is appended at the end.
 */
export async function upsertTomlTable(text: string, keyPath: string[], values: Record<string, TomlValue>, label: string): Promise<string> {
  const program = await parse(text, label)
  if (sameTable(await getTomlValue(text, keyPath, label), values)) return text
  const eol = text.includes('\r\n') ? '\r\n' : '\n'
  const rest = removeSpans(text, locate(text, program, keyPath))
  const separator = rest === '' ? '' : rest.endsWith('\n') ? eol : eol + eol
  return rest + separator + renderTomlTable(keyPath, values, eol)
}

/** Cut out every definition of `keyPath` (the table, its sub-tables, dotted keys). */
export async function removeTomlTable(text: string, keyPath: string[], label: string): Promise<string> {
  if (text.trim() === '') return text
  const program = await parse(text, label)
  const spans = locate(text, program, keyPath)
  if (spans.length === 0) return text
  return removeSpans(text, spans)
}
