import {afterEach, describe, expect, it} from 'vitest'

import {readJsonConfig} from '../../src/connectors/json-config-file.js'
import {OpenCodeConnector} from '../../src/connectors/opencode.js'
import {makeHarnessHome, type TempHarnessHome, TEST_ENTRY} from './connector-fixtures.js'

const USER_JSONC = `{
  "$schema": "https://opencode.ai/config.json",
  // my model
  "model": "anthropic/claude-sonnet-4",
  "plugin": ["opencode-wakatime"],
  "mcp": {
    /* docs server */
    "docs": {"type": "remote", "url": "https://docs.example/mcp", "enabled": true},
  },
}
`

const connector = new OpenCodeConnector()
let temp: TempHarnessHome
afterEach(() => temp?.cleanup())

describe('OpenCode connector', () => {
  it('writes a self-contained plugin, registers it and mcp.signet in opencode.json', async () => {
    temp = makeHarnessHome()
    await connector.install(temp.ctx)
    const config = (await readJsonConfig(temp.read('.config/opencode/opencode.json'), 'o')) as any
    expect(config.plugin).toEqual(['./plugins/signet.mjs'])
    expect(config.mcp.signet).toEqual({type: 'local', command: [TEST_ENTRY.node, TEST_ENTRY.mcpJs, '--harness', 'opencode'], enabled: true})
    const plugin = temp.read('.config/opencode/plugins/signet.mjs')
    // self-contained: node built-ins only, and no key or daemon URL baked in
    expect([...plugin.matchAll(/^import .* from '([^']+)'/gm)].map((m) => m[1])).toEqual(['node:child_process'])
    expect(plugin).not.toMatch(/sig_sk_|SIGNET_API_KEY|http:\/\//)
    for (const hook of ['session-start', 'user-prompt-submit', 'pre-compaction', 'compaction-complete', 'session-end']) expect(plugin).toContain(`'${hook}'`)
    for (const surface of ['session.created', 'chat.message', 'experimental.session.compacting', 'session.compacted', 'session.idle'])
      expect(plugin).toContain(surface)
    expect(plugin).toContain(JSON.stringify(TEST_ENTRY.runJs))
  })

  it("edits the user's opencode.jsonc in place (comments kept) and uninstall restores it byte for byte", async () => {
    temp = makeHarnessHome()
    temp.write('.config/opencode/opencode.jsonc', USER_JSONC)
    await connector.install(temp.ctx)
    expect(temp.exists('.config/opencode/opencode.json')).toBe(false)
    const installed = temp.read('.config/opencode/opencode.jsonc')
    expect(installed).toContain('// my model')
    expect(installed).toContain('/* docs server */')
    const config = (await readJsonConfig(installed, 'o')) as any
    expect(config.plugin).toEqual(['opencode-wakatime', './plugins/signet.mjs'])
    expect(Object.keys(config.mcp)).toEqual(['docs', 'signet'])
    await connector.install(temp.ctx)
    expect(temp.read('.config/opencode/opencode.jsonc')).toBe(installed)
    await connector.uninstall(temp.ctx)
    expect(temp.read('.config/opencode/opencode.jsonc')).toBe(USER_JSONC)
    expect(temp.exists('.config/opencode/plugins/signet.mjs')).toBe(false)
  })

  it('never overwrites a signet.mjs it did not write, and follows XDG_CONFIG_HOME', async () => {
    temp = makeHarnessHome()
    temp.ctx.env.XDG_CONFIG_HOME = `${temp.home}/xdg`
    temp.write('xdg/opencode/plugins/signet.mjs', 'export const Mine = async () => ({})\n')
    await expect(connector.install(temp.ctx)).rejects.toThrow(/not written by Signet/)
    await connector.uninstall(temp.ctx)
    expect(temp.read('xdg/opencode/plugins/signet.mjs')).toBe('export const Mine = async () => ({})\n')
  })

  it('status: installed, then partial when the plugin file is gone', async () => {
    temp = makeHarnessHome()
    await connector.install(temp.ctx)
    expect((await connector.status(temp.ctx)).state).toBe('installed')
    const {rmSync} = await import('node:fs')
    rmSync(`${temp.home}/.config/opencode/plugins/signet.mjs`)
    expect((await connector.status(temp.ctx)).state).toBe('partial')
  })
})
