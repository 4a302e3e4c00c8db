import {JsonLexer, type JsonToken, JsonTokenType} from '@croct/json5-parser'
import type {Node} from 'jsonc-parser'
import JSON5 from 'json5'

import {SignetError} from '../errors.js'

/** jsonc-parser's Node with writable fields, filled in while the closing token is still ahead. */
type MutableNode = {-readonly [K in keyof Node]: Node[K]}

/**
 * A JSON5 document (unquoted keys, single quotes, hex numbers, comments, trailing commas) as the
 * same syntax tree jsonc-parser builds for JSON: nodes with byte offsets into the original
 * text. The surgical editors in json-config-file.ts only slice the text at node offsets, so the
 * user's JSON5 stays JSON5 byte for byte, and removing what was inserted gives back the original.
 */
export function parseJson5Tree(text: string, label: string): Node | undefined {
  let tokens: JsonToken[]
  try {
    tokens = JsonLexer.tokenize(text).filter(
      (token) => ![JsonTokenType.WHITESPACE, JsonTokenType.NEWLINE, JsonTokenType.LINE_COMMENT, JsonTokenType.BLOCK_COMMENT].includes(token.type),
    )
  } catch (error) {
    throw invalid(label, (error as Error).message)
  }
  let index = 0
  const peek = () => tokens[index]
  const next = () => tokens[index++]
  const expect = (type: JsonTokenType) => {
    const token = next()
    if (token?.type !== type) throw invalid(label, `expected ${type} at offset ${token?.location.start.index ?? text.length}`)
    return token
  }
  const start = (token: JsonToken) => token.location.start.index
  const end = (token: JsonToken) => token.location.end.index

  function parseValue(parent: Node | undefined): Node {
    const token = next()
    if (!token) throw invalid(label, 'unexpected end of file')
    switch (token.type) {
      case JsonTokenType.BRACE_LEFT:
        return parseContainer(token, parent, 'object')
      case JsonTokenType.BRACKET_LEFT:
        return parseContainer(token, parent, 'array')
      case JsonTokenType.STRING:
      case JsonTokenType.NUMBER:
      case JsonTokenType.BOOLEAN:
      case JsonTokenType.NULL: {
        const value = JSON5.parse(token.value) as unknown
        const type =
          token.type === JsonTokenType.STRING
            ? 'string'
            : token.type === JsonTokenType.NUMBER
              ? 'number'
              : token.type === JsonTokenType.BOOLEAN
                ? 'boolean'
                : 'null'
        return {type, value, offset: start(token), length: end(token) - start(token), parent} as Node
      }
      default:
        throw invalid(label, `unexpected ${token.type} at offset ${start(token)}`)
    }
  }

  function parseContainer(open: JsonToken, parent: Node | undefined, type: 'object' | 'array'): Node {
    const node = {type, offset: start(open), length: 0, parent, children: [] as Node[]} as MutableNode
    const close = type === 'object' ? JsonTokenType.BRACE_RIGHT : JsonTokenType.BRACKET_RIGHT
    while (peek() && peek().type !== close) {
      if (type === 'object') {
        const keyToken = next()
        if (keyToken.type !== JsonTokenType.STRING && keyToken.type !== JsonTokenType.IDENTIFIER)
          throw invalid(label, `expected a key at offset ${start(keyToken)}`)
        const property = {type: 'property', offset: start(keyToken), length: 0, parent: node, children: [] as Node[]} as MutableNode
        const key = keyToken.type === JsonTokenType.STRING ? (JSON5.parse(keyToken.value) as string) : keyToken.value
        property.children!.push({type: 'string', value: key, offset: start(keyToken), length: end(keyToken) - start(keyToken), parent: property} as Node)
        const colon = expect(JsonTokenType.COLON)
        property.colonOffset = start(colon)
        const value = parseValue(property)
        property.children!.push(value)
        property.length = value.offset + value.length - property.offset
        node.children!.push(property)
      } else {
        node.children!.push(parseValue(node))
      }
      if (peek()?.type === JsonTokenType.COMMA) next()
      else break
    }
    const closing = expect(close)
    node.length = end(closing) - node.offset
    return node
  }

  if (tokens.length === 0 || tokens[0].type === JsonTokenType.EOF) return undefined
  const root = parseValue(undefined)
  if (peek() && peek().type !== JsonTokenType.EOF) throw invalid(label, `unexpected ${peek().type} at offset ${start(peek())}`)
  if (root.type !== 'object')
    throw new SignetError(`cannot edit ${label}: the top level is not a JSON5 object — fix the file (or move it aside) and retry`, 'invalid_harness_config')
  return root
}

function invalid(label: string, detail: string): SignetError {
  return new SignetError(`cannot edit ${label}: not valid JSON5 (${detail}) — fix the file (or move it aside) and retry`, 'invalid_harness_config')
}
