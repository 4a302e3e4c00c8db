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
  it('inserts into an empty document and removes back to nothing', async () => {
    const added = await setJsonValue('', ['mcpServers', 'signet'], {command: 'node'}, 'x.json')
    expect(JSON.parse(added)).toEqual({mcpServers: {signet: {command: 'node'}}})
    expect((await removeJsonValue(added, ['mcpServers', 'signet'], 'x.json')).replace(/\s/g, '')).toBe('{}')
  })

  it('keeps comments and every other byte, and removal restores the original bytes', async () => {
    let text = await setJsonValue(USER_JSONC, ['mcpServers', 'signet'], {type: 'stdio', command: '/usr/bin/node', args: ['/a b/mcp.js']}, 'x.jsonc')
    text = await appendJsonArrayItem(text, ['hooks', 'Stop'], {hooks: [{type: 'command', command: 'c'}]}, 'x.jsonc')
    text = await appendJsonArrayItem(text, ['list'], 4, 'x.jsonc')
    expect(text).toContain("// the user's own comment")
    expect(text).toContain('/* inline block comment */')
    expect(text).toContain('"permissions": {"allow": ["Bash(ls)"]}')
    expect(await readJsonConfig(text, 'x.jsonc')).toMatchObject({theme: 'dark', list: [1, 2, 3, 4], mcpServers: {signet: {command: '/usr/bin/node'}}})
    let back = await removeJsonValue(text, ['list', 3], 'x.jsonc')
    back = await removeJsonValue(back, ['hooks', 'Stop', 0], 'x.jsonc')
    back = await removeJsonValue(back, ['mcpServers', 'signet'], 'x.jsonc')
    expect(back).toBe(USER_JSONC)
  })

  it("follows the file's indentation (tabs, four spaces, CRLF)", async () => {
    const tabbed = '{\r\n\t"a": 1\r\n}\r\n'
    const added = await setJsonValue(tabbed, ['b', 'c'], 2, 'x.json')
    expect(added).toBe('{\r\n\t"a": 1,\r\n\t"b": {\r\n\t\t"c": 2\r\n\t}\r\n}\r\n')
    expect(await removeJsonValue(added, ['b', 'c'], 'x.json')).toBe(tabbed)
  })

  it('does not reformat a one-line container it appends to', async () => {
    const oneLine = '{"hooks": {"Stop": [{"hooks": []}]}}\n'
    const added = await appendJsonArrayItem(oneLine, ['hooks', 'Stop'], {hooks: [{command: 'x'}]}, 'x.json')
    expect(added).toBe('{"hooks": {"Stop": [{"hooks": []}, {"hooks":[{"command":"x"}]}]}}\n')
    expect(await removeJsonValue(added, ['hooks', 'Stop', 1], 'x.json')).toBe(oneLine)
  })

  it('replaces a value in place and leaves equal values byte-identical', async () => {
    const text = '{\n  "mcp": {\n    "signet": {"old": true}\n  }\n}\n'
    expect(await setJsonValue(text, ['mcp', 'signet'], {old: true}, 'x')).toBe(text)
    const replaced = await setJsonValue(text, ['mcp', 'signet'], {new: 1}, 'x')
    expect(await getJsonValue(replaced, ['mcp', 'signet'])).toEqual({new: 1})
  })

  it('names the file, line and column of a syntax error', async () => {
    await expect(setJsonValue('{\n  "a": 1,,\n}', ['b'], 1, '/home/u/.claude/settings.json')).rejects.toThrow(/settings\.json: .* at line 2/)
    await expect(setJsonValue('[1]', ['b'], 1, 'x.json')).rejects.toThrow(/top level is not a JSON object/)
    await expect(setJsonValue('{"mcpServers": 3}', ['mcpServers', 'signet'], 1, 'x.json')).rejects.toThrow(/mcpServers is not an object/)
  })

  it('keeps an empty allow-list when asked not to prune (empty means something)', async () => {
    const text = '{\n  "allow": []\n}\n'
    const added = await appendJsonArrayItem(text, ['allow'], 'signet', 'x')
    expect(await removeJsonValue(added, ['allow', 0], 'x', {pruneEmptyParents: false})).toBe(text)
  })

  it('insert then remove is the identity for arbitrary user objects', async () => {
    const key = fc.string({minLength: 1, maxLength: 8}).filter((k) => k !== 'signetTest')
    await fc.assert(
      fc.asyncProperty(fc.dictionary(key, fc.jsonValue(), {maxKeys: 6}), fc.constantFrom('  ', '    ', '\t'), async (object, indent) => {
        const original = JSON.stringify(object, null, indent) + '\n'
        const added = await setJsonValue(original, ['signetTest', 'entry'], {command: 'node', args: ['x']}, 'prop.json')
        expect(await readJsonConfig(added, 'prop.json')).toEqual({...JSON.parse(original), signetTest: {entry: {command: 'node', args: ['x']}}})
        expect(await removeJsonValue(added, ['signetTest', 'entry'], 'prop.json')).toBe(original)
      }),
      {numRuns: 200},
    )
  })
})
