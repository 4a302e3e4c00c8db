import type {Node, ParseError} from 'jsonc-parser'

import {SignetError} from '../errors.js'

/**
 * Surgical edits of JSON / JSONC config files the user owns (Claude Code, Codex hooks.json,
 * Gemini, OpenCode, OpenClaw). Every edit inserts, replaces or removes one member's bytes;
 * the rest of the file — comments, key order, the user's own formatting — is left alone, so
 * removing what was inserted gives back the original bytes.
 *
 * Every function that parses is async: the parsers load on the first file that has something to
 * parse, so `signet status` and `signet connector list`, which look at every harness's files (most
 * of them absent), load none for the absent ones (B5 in bench/README.md).
 */

export type JsonPath = Array<string | number>

/** `jsonc`: JSON with comments and trailing commas; `json5`: any JSON5 (OpenClaw), edited in place too. */
export type JsonDialect = 'jsonc' | 'json5'

async function parseConfig(text: string, label: string, dialect: JsonDialect): Promise<Node | undefined> {
  if (dialect === 'jsonc') return parseJsonConfig(text, label)
  if (text.trim() === '') return undefined
  const {parseJson5Tree} = await import('./json5-tree.js')
  return parseJson5Tree(text, label)
}

interface JsonStyle {
  /** One level of indentation as found in the file (two spaces when unknown). */
  unit: string
  eol: string
}

export function detectJsonStyle(text: string): JsonStyle {
  const eol = text.includes('\r\n') ? '\r\n' : '\n'
  const indented = /\n([ \t]+)\S/.exec(text)
  let unit = '  '
  if (indented) {
    const lead = indented[1]
    unit = lead.startsWith('\t') ? '\t' : ' '.repeat(Math.min(lead.length, 8))
  }
  return {unit, eol}
}

function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset)
  const line = before.split('\n').length
  const column = offset - before.lastIndexOf('\n')
  return `line ${line}, column ${column}`
}

/** Parse a JSON/JSONC document; anything but a clean object at the root is an actionable error. */
export async function parseJsonConfig(text: string, label: string): Promise<Node | undefined> {
  if (text.trim() === '') return undefined
  const {parseTree, printParseErrorCode} = await import('jsonc-parser')
  const errors: ParseError[] = []
  const root = parseTree(text, errors, {allowTrailingComma: true, disallowComments: false})
  if (errors.length > 0) {
    const first = errors[0]
    throw new SignetError(
      `cannot edit ${label}: ${printParseErrorCode(first.error)} at ${lineColumn(text, first.offset)} — fix the file (or move it aside) and retry`,
      'invalid_harness_config',
    )
  }
  if (!root || root.type !== 'object') {
    throw new SignetError(`cannot edit ${label}: the top level is not a JSON object — fix the file (or move it aside) and retry`, 'invalid_harness_config')
  }
  return root
}

/** The plain value of a whole JSON/JSONC document (`{}` for an empty file). */
export async function readJsonConfig(text: string, label: string): Promise<Record<string, unknown>> {
  const root = await parseJsonConfig(text, label)
  if (!root) return {}
  const {getNodeValue} = await import('jsonc-parser')
  return getNodeValue(root) as Record<string, unknown>
}

export async function getJsonValue(text: string, path: JsonPath, label = 'config', dialect: JsonDialect = 'jsonc'): Promise<unknown> {
  const root = await parseConfig(text, label, dialect)
  if (!root) return undefined
  const {findNodeAtLocation, getNodeValue} = await import('jsonc-parser')
  const node = findNodeAtLocation(root, path)
  return node ? getNodeValue(node) : undefined
}

function lineIndentAt(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1
  return /^[ \t]*/.exec(text.slice(lineStart))![0]
}

function render(value: unknown, indent: string, style: JsonStyle, multiline: boolean): string {
  if (!multiline) return JSON.stringify(value)
  return JSON.stringify(value, null, style.unit)
    .split('\n')
    .join(style.eol + indent)
}

function isMultilineContainer(text: string, container: Node): boolean {
  return text.slice(container.offset, container.offset + container.length).includes('\n')
}

/** Insert a new member (object property or array item) at the end of a container. */
function insertMember(text: string, container: Node, key: string | undefined, value: unknown, style: JsonStyle): string {
  const children = container.children ?? []
  const prefix = key === undefined ? '' : `${JSON.stringify(key)}: `
  if (children.length === 0) {
    const open = container.offset
    const close = container.offset + container.length - 1
    const outer = lineIndentAt(text, open)
    const inner = outer + style.unit
    const member = prefix + render(value, inner, style, true)
    if (text.slice(open + 1, close).trim() === '') {
      return text.slice(0, open + 1) + style.eol + inner + member + style.eol + outer + text.slice(close)
    }
    // only comments inside: keep them, put the member first
    return text.slice(0, open + 1) + style.eol + inner + member + text.slice(open + 1)
  }
  const last = children[children.length - 1]
  const end = last.offset + last.length
  if (isMultilineContainer(text, container)) {
    const indent = lineIndentAt(text, children[0].offset)
    return text.slice(0, end) + ',' + style.eol + indent + prefix + render(value, indent, style, true) + text.slice(end)
  }
  return text.slice(0, end) + ', ' + prefix + render(value, '', style, false) + text.slice(end)
}

/** Remove member `index` of a container, restoring the bytes `insertMember` started from. */
function removeMember(text: string, container: Node, index: number): string {
  const children = container.children ?? []
  const member = children[index]
  const end = member.offset + member.length
  if (index > 0) {
    const previous = children[index - 1]
    return text.slice(0, previous.offset + previous.length) + text.slice(end)
  }
  if (children.length > 1) return text.slice(0, member.offset) + text.slice(children[1].offset)
  const open = container.offset
  const close = container.offset + container.length - 1
  const before = text.slice(open + 1, member.offset)
  const after = text.slice(end, close)
  if (before.trim() === '' && after.replace(/,/, '').trim() === '') return text.slice(0, open + 1) + text.slice(close)
  const lineStart = text.lastIndexOf('\n', member.offset - 1) + 1
  const start = text.slice(lineStart, member.offset).trim() === '' ? Math.max(lineStart - 1, open + 1) : member.offset
  return text.slice(0, start) + text.slice(end)
}

function nest(path: JsonPath, value: unknown): unknown {
  let nested = value
  for (let i = path.length - 1; i >= 0; i--) nested = {[path[i] as string]: nested}
  return nested
}

function describePath(path: JsonPath): string {
  return path.map(String).join('.')
}

/** Set `path` to `value`, creating missing parent objects. Unchanged text when already equal. */
export async function setJsonValue(text: string, path: JsonPath, value: unknown, label: string, dialect: JsonDialect = 'jsonc'): Promise<string> {
  const style = detectJsonStyle(text)
  const source = text.trim() === '' ? '{}' + style.eol : text
  let node = (await parseConfig(source, label, dialect))!
  const {getNodeValue} = await import('jsonc-parser')
  for (let depth = 0; depth < path.length; depth++) {
    const segment = path[depth]
    if (node.type !== 'object' || typeof segment !== 'string') {
      throw new SignetError(`cannot edit ${label}: ${describePath(path.slice(0, depth)) || 'the top level'} is not an object`, 'invalid_harness_config')
    }
    const property = node.children?.find((child) => child.children?.[0]?.value === segment)
    if (!property) return insertMember(source, node, segment, nest(path.slice(depth + 1), value), style)
    const valueNode = property.children![1]
    if (depth === path.length - 1) {
      if (JSON.stringify(getNodeValue(valueNode)) === JSON.stringify(value)) return text
      const multiline = isMultilineContainer(source, node)
      const replacement = render(value, lineIndentAt(source, property.offset), style, multiline)
      return source.slice(0, valueNode.offset) + replacement + source.slice(valueNode.offset + valueNode.length)
    }
    node = valueNode
  }
  return text
}

/** Append an item to the array at `path` (created when missing). */
export async function appendJsonArrayItem(text: string, path: JsonPath, item: unknown, label: string, dialect: JsonDialect = 'jsonc'): Promise<string> {
  const root = await parseConfig(text, label, dialect)
  const node = root ? (await import('jsonc-parser')).findNodeAtLocation(root, path) : undefined
  if (!node) return setJsonValue(text, path, [item], label, dialect)
  if (node.type !== 'array') throw new SignetError(`cannot edit ${label}: ${describePath(path)} is not a list`, 'invalid_harness_config')
  return insertMember(text, node, undefined, item, detectJsonStyle(text))
}

/**
 * Remove the member at `path`. Parents left empty by the removal are removed too (up to,
 * not including, the top level), since install created them — unless an empty parent means
 * something (an empty allow-list), where the caller passes `pruneEmptyParents: false`.
 */
export async function removeJsonValue(
  text: string,
  path: JsonPath,
  label: string,
  options: {pruneEmptyParents?: boolean; dialect?: JsonDialect} = {},
): Promise<string> {
  const root = await parseConfig(text, label, options.dialect ?? 'jsonc')
  if (!root || path.length === 0) return text
  const parentPath = path.slice(0, -1)
  const parent = parentPath.length === 0 ? root : (await import('jsonc-parser')).findNodeAtLocation(root, parentPath)
  if (!parent) return text
  const last = path[path.length - 1]
  const index =
    parent.type === 'array' ? (typeof last === 'number' ? last : -1) : (parent.children ?? []).findIndex((child) => child.children?.[0]?.value === last)
  if (index < 0 || index >= (parent.children?.length ?? 0)) return text
  const next = removeMember(text, parent, index)
  if (options.pruneEmptyParents !== false && parentPath.length > 0 && (parent.children?.length ?? 0) === 1)
    return removeJsonValue(next, parentPath, label, {dialect: options.dialect})
  return next
}

/** True when a document holds nothing (an empty object, maybe with whitespace). */
export function isEmptyJsonObject(text: string): boolean {
  const compact = text.replace(/\s+/g, '')
  return compact === '{}' || compact === ''
}
