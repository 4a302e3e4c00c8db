import JSON5 from 'json5'
import {afterEach, describe, expect, it} from 'vitest'

import {readJsonConfig} from '../../src/connectors/json-config-file.js'
import {OpenClawConnector} from '../../src/connectors/openclaw.js'
import {PiConnector} from '../../src/connectors/pi.js'
import {makeHarnessHome, type TempHarnessHome, TEST_ENTRY} from './connector-fixtures.js'

let temp: TempHarnessHome
afterEach(() => temp?.cleanup())

describe('Pi connector', () => {
  const connector = new PiConnector()

  it('writes one extension with the three tools and lifecycle handlers; uninstall removes it', async () => {
    temp = makeHarnessHome()
    temp.write('.pi/agent/settings.json', '{"theme": "dark"}\n')
    await connector.install(temp.ctx)
    const extension = temp.read('.pi/agent/extensions/signet.js')
    for (const tool of ['signet_recall', 'signet_remember', 'signet_session_search', 'signet_source_search']) expect(extension).toContain(`name: '${tool}'`)
    for (const event of ['session_start', 'before_agent_start', 'session_before_compact', 'session_compact', 'session_shutdown'])
      expect(extension).toContain(`'${event}'`)
    expect(extension).toContain('file:///opt/my%20tools/signetai/dist/connectors/harness-bridge.js')
    expect(extension).not.toMatch(/sig_sk_|http:\/\//)
    const before = temp.snapshot()
    expect((await connector.install(temp.ctx)).files[0].action).toBe('unchanged')
    expect(temp.snapshot()).toEqual(before)
    await connector.uninstall(temp.ctx)
    expect(temp.snapshot()).toEqual({'.pi/agent/settings.json': '{"theme": "dark"}\n'})
  })

  it('follows PI_CODING_AGENT_DIR and refuses to replace a foreign signet.js', async () => {
    temp = makeHarnessHome({env: {PI_CODING_AGENT_DIR: '~/pi-agent'}})
    temp.write('pi-agent/extensions/signet.js', 'export default () => {}\n')
    await expect(connector.install(temp.ctx)).rejects.toThrow(/not written by Signet/)
    expect((await connector.status(temp.ctx)).problems.join(' ')).toMatch(/not written by Signet/)
  })
})

const USER_OPENCLAW = `{
  // OpenClaw reads JSON5; comments and trailing commas are fine
  "gateway": {"port": 18789},
  "plugins": {
    "allow": ["voice-call"],
    "entries": {"voice-call": {"enabled": true}},
  },
}
`

describe('OpenClaw connector', () => {
  const connector = new OpenClawConnector()

  it('installs the plugin directory and config entries, joining an existing allow-list; uninstall restores', async () => {
    temp = makeHarnessHome()
    temp.write('.openclaw/openclaw.json', USER_OPENCLAW)
    await connector.install(temp.ctx)
    const config = (await readJsonConfig(temp.read('.openclaw/openclaw.json'), 'o')) as any
    expect(config.plugins.allow).toEqual(['voice-call', 'signet'])
    expect(config.plugins.entries.signet).toEqual({enabled: true, hooks: {allowConversationAccess: true}})
    expect(config.mcp.servers.signet).toEqual({command: TEST_ENTRY.node, args: [TEST_ENTRY.mcpJs, '--harness', 'openclaw']})
    const manifest = JSON.parse(temp.read('.openclaw/extensions/signet/openclaw.plugin.json'))
    expect(manifest).toMatchObject({id: 'signet', contracts: {tools: ['signet_recall', 'signet_remember', 'signet_session_search']}})
    const installed = temp.snapshot()
    await connector.install(temp.ctx)
    expect(temp.snapshot()).toEqual(installed)
    await connector.uninstall(temp.ctx)
    expect(temp.read('.openclaw/openclaw.json')).toBe(USER_OPENCLAW)
    expect(temp.exists('.openclaw/extensions/signet')).toBe(false)
  })

  it('never creates an allow-list (that would block every other plugin) and honours OPENCLAW_CONFIG_PATH', async () => {
    temp = makeHarnessHome()
    temp.ctx.env.OPENCLAW_CONFIG_PATH = `${temp.home}/cfg/oc.json`
    await connector.install(temp.ctx)
    const config = (await readJsonConfig(temp.read('cfg/oc.json'), 'o')) as any
    expect(config.plugins.allow).toBeUndefined()
    expect((await connector.status(temp.ctx)).state).toBe('installed')
  })

  it('edits a JSON5 openclaw.json in place (comments, unquoted keys, quotes kept); uninstall restores every byte', async () => {
    temp = makeHarnessHome()
    const original = [
      '// OpenClaw config (JSON5)',
      '{',
      '  /* the gateway */',
      "  gateway: {port: 0x4965, mode: 'local',},",
      "  agents: {defaults: {model: {primary: 'anthropic/claude'}}},  // trailing comment",
      "  plugins: {allow: ['foo', /* keep */ 'bar',],},",
      '}',
      '',
    ].join('\n')
    temp.write('.openclaw/openclaw.json', original)
    await connector.install(temp.ctx)
    const installed = temp.read('.openclaw/openclaw.json')
    for (const kept of [
      '// OpenClaw config (JSON5)',
      '/* the gateway */',
      "gateway: {port: 0x4965, mode: 'local',},",
      '// trailing comment',
      "/* keep */ 'bar'",
    ])
      expect(installed).toContain(kept)
    const config = JSON5.parse(installed)
    expect(config.gateway.port).toBe(0x4965)
    expect(config.plugins.allow).toEqual(['foo', 'bar', 'signet'])
    expect(config.plugins.entries.signet).toEqual({enabled: true, hooks: {allowConversationAccess: true}})
    expect(config.mcp.servers.signet).toEqual({command: TEST_ENTRY.node, args: [TEST_ENTRY.mcpJs, '--harness', 'openclaw']})
    // installing twice changes nothing
    await connector.install(temp.ctx)
    expect(temp.read('.openclaw/openclaw.json')).toBe(installed)
    await connector.uninstall(temp.ctx)
    expect(temp.read('.openclaw/openclaw.json')).toBe(original)
  })

  it('the plugin runs the node and bin/run.js recorded at install, not paths relative to wherever OpenClaw copies it', async () => {
    temp = makeHarnessHome()
    await connector.install(temp.ctx)
    const plugin = temp.read('.openclaw/extensions/signet/index.js')
    expect(plugin).toContain(`"signet":${JSON.stringify({node: TEST_ENTRY.node, runJs: TEST_ENTRY.runJs})}`)
    expect(plugin).toContain('const SIGNET = INSTALL.signet')
    expect(plugin).toContain("runSignetHook(event, 'openclaw', payload, SIGNET)")
  })
})
