import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {appendJsonArrayItem, getJsonValue, readJsonConfig, removeJsonValue, setJsonValue} from '../../src/connectors/json-config-file.js'

const USER_JSONC = `{
  // the user's own comment
  "theme": "dark", /* inline block comment */
  "permissions": {"allow": ["Bash(ls)"]},
  "list": [1, 2, 3],
  "trailing": true,
}
`

describe('json-config-file', () => {
  it('inserts into an empty document and removes back to nothing', () => {
    const added = setJsonValue('', ['mcpServers', 'signet'], {command: 'node'}, 'x.json')
    expect(JSON.parse(added)).toEqual({mcpServers: {signet: {command: 'node'}}})
    expect(removeJsonValue(added, ['mcpServers', 'signet'], 'x.json').replace(/\s/g, '')).toBe('{}')
  })

  it('keeps comments and every other byte, and removal restores the original bytes', () => {
    let text = setJsonValue(USER_JSONC, ['mcpServers', 'signet'], {type: 'stdio', command: '/usr/bin/node', args: ['/a b/mcp.js']}, 'x.jsonc')
    text = appendJsonArrayItem(text, ['hooks', 'Stop'], {hooks: [{type: 'command', command: 'c'}]}, 'x.jsonc')
    text = appendJsonArrayItem(text, ['list'], 4, 'x.jsonc')
    expect(text).toContain("// the user's own comment")
    expect(text).toContain('/* inline block comment */')
    expect(text).toContain('"permissions": {"allow": ["Bash(ls)"]}')
    expect(readJsonConfig(text, 'x.jsonc')).toMatchObject({theme: 'dark', list: [1, 2, 3, 4], mcpServers: {signet: {command: '/usr/bin/node'}}})
    let back = removeJsonValue(text, ['list', 3], 'x.jsonc')
    back = removeJsonValue(back, ['hooks', 'Stop', 0], 'x.jsonc')
    back = removeJsonValue(back, ['mcpServers', 'signet'], 'x.jsonc')
    expect(back).toBe(USER_JSONC)
  })

  it("follows the file's indentation (tabs, four spaces, CRLF)", () => {
    const tabbed = '{\r\n\t"a": 1\r\n}\r\n'
    const added = setJsonValue(tabbed, ['b', 'c'], 2, 'x.json')
    expect(added).toBe('{\r\n\t"a": 1,\r\n\t"b": {\r\n\t\t"c": 2\r\n\t}\r\n}\r\n')
    expect(removeJsonValue(added, ['b', 'c'], 'x.json')).toBe(tabbed)
  })

  it('does not reformat a one-line container it appends to', () => {
    const oneLine = '{"hooks": {"Stop": [{"hooks": []}]}}\n'
    const added = appendJsonArrayItem(oneLine, ['hooks', 'Stop'], {hooks: [{command: 'x'}]}, 'x.json')
    expect(added).toBe('{"hooks": {"Stop": [{"hooks": []}, {"hooks":[{"command":"x"}]}]}}\n')
    expect(removeJsonValue(added, ['hooks', 'Stop', 1], 'x.json')).toBe(oneLine)
  })

  it('replaces a value in place and leaves equal values byte-identical', () => {
    const text = '{\n  "mcp": {\n    "signet": {"old": true}\n  }\n}\n'
    expect(setJsonValue(text, ['mcp', 'signet'], {old: true}, 'x')).toBe(text)
    const replaced = setJsonValue(text, ['mcp', 'signet'], {new: 1}, 'x')
    expect(getJsonValue(replaced, ['mcp', 'signet'])).toEqual({new: 1})
  })

  it('names the file, line and column of a syntax error', () => {
    expect(() => setJsonValue('{\n  "a": 1,,\n}', ['b'], 1, '/home/u/.claude/settings.json')).toThrow(/settings\.json: .* at line 2/)
    expect(() => setJsonValue('[1]', ['b'], 1, 'x.json')).toThrow(/top level is not a JSON object/)
    expect(() => setJsonValue('{"mcpServers": 3}', ['mcpServers', 'signet'], 1, 'x.json')).toThrow(/mcpServers is not an object/)
  })

  it('keeps an empty allow-list when asked not to prune (empty means something)', () => {
    const text = '{\n  "allow": []\n}\n'
    const added = appendJsonArrayItem(text, ['allow'], 'signet', 'x')
    expect(removeJsonValue(added, ['allow', 0], 'x', {pruneEmptyParents: false})).toBe(text)
  })

  it('insert then remove is the identity for arbitrary user objects', () => {
    const key = fc.string({minLength: 1, maxLength: 8}).filter((k) => k !== 'signetTest')
    fc.assert(
      fc.property(fc.dictionary(key, fc.jsonValue(), {maxKeys: 6}), fc.constantFrom('  ', '    ', '\t'), (object, indent) => {
        const original = JSON.stringify(object, null, indent) + '\n'
        const added = setJsonValue(original, ['signetTest', 'entry'], {command: 'node', args: ['x']}, 'prop.json')
        expect(readJsonConfig(added, 'prop.json')).toEqual({...JSON.parse(original), signetTest: {entry: {command: 'node', args: ['x']}}})
        expect(removeJsonValue(added, ['signetTest', 'entry'], 'prop.json')).toBe(original)
      }),
      {numRuns: 200},
    )
  })
})
