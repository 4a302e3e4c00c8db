import {afterEach, describe, expect, it} from 'vitest'

import {CodexConnector} from '../../src/connectors/codex.js'
import {readJsonConfig} from '../../src/connectors/json-config-file.js'
import {getTomlValue} from '../../src/connectors/toml-config-file.js'
import {makeHarnessHome, type TempHarnessHome, TEST_ENTRY, withoutBackups} from './connector-fixtures.js'

const USER_TOML = `# my codex config
model = "gpt-5-codex"
model_reasoning_effort = "high"

[features]
hooks = true

[mcp_servers.context7]
command = "npx"
args = ["-y", "@upstash/context7-mcp"]

# keep this comment
[projects."/home/me/app"]
trust_level = "trusted"
`

const USER_HOOKS = `{
  "hooks": {
    "Stop": [
      {
        "hooks": [
          {
            "type": "command",
            "command": "notify-send codex",
            "timeout": 5
          }
        ]
      }
    ]
  }
}
`

/** Fields Codex's hooks.json schema knows (it rejects anything else, e.g. private markers). */
const HANDLER_FIELDS = new Set(['type', 'command', 'timeout', 'timeoutSec', 'async', 'statusMessage'])

const connector = new CodexConnector()
let temp: TempHarnessHome
afterEach(() => temp?.cleanup())

describe('Codex connector', () => {
  it('writes schema-clean hooks.json (seconds) and [mcp_servers.signet] with no key anywhere', async () => {
    temp = makeHarnessHome()
    await connector.install(temp.ctx)
    const hooks = (await readJsonConfig(temp.read('.codex/hooks.json'), 'h')) as any
    expect(Object.keys(hooks)).toEqual(['hooks'])
    // transcript once at SessionEnd (Codex caps it at 3 s), not after every turn via Stop
    expect(Object.keys(hooks.hooks)).toEqual(['SessionStart', 'UserPromptSubmit', 'PreCompact', 'SessionEnd'])
    expect(hooks.hooks.SessionEnd[0].hooks[0]).toEqual({
      type: 'command',
      command: `"${TEST_ENTRY.node}" "${TEST_ENTRY.runJs}" hook session-end -H codex`,
      timeout: 3,
    })
    expect(hooks.hooks.PreCompact[0].hooks[0]).toEqual({
      type: 'command',
      command: `"${TEST_ENTRY.node}" "${TEST_ENTRY.runJs}" hook pre-compaction -H codex`,
      timeout: 10,
    })
    for (const groups of Object.values(hooks.hooks) as any[]) {
      expect(Object.keys(groups[0])).toEqual(['hooks'])
      for (const field of Object.keys(groups[0].hooks[0])) expect(HANDLER_FIELDS.has(field)).toBe(true)
    }
    const toml = temp.read('.codex/config.toml')
    expect(await getTomlValue(toml, ['mcp_servers', 'signet'], 'c')).toMatchObject({command: TEST_ENTRY.node, args: [TEST_ENTRY.mcpJs, '--harness', 'codex']})
    expect(toml).not.toMatch(/sig_sk_|bearer|Authorization/i)
  })

  it('keeps other TOML tables, comments and hooks byte for byte; twice is a no-op; uninstall restores', async () => {
    temp = makeHarnessHome()
    temp.write('.codex/config.toml', USER_TOML)
    temp.write('.codex/hooks.json', USER_HOOKS)
    await connector.install(temp.ctx)
    const installed = temp.snapshot()
    expect(installed['.codex/config.toml'].startsWith(USER_TOML)).toBe(true)
    const hooks = (await readJsonConfig(installed['.codex/hooks.json'], 'h')) as any
    expect(hooks.hooks.Stop.map((g: any) => g.hooks[0].command)).toEqual(['notify-send codex'])
    expect(hooks.hooks.SessionEnd.map((g: any) => g.hooks[0].command)).toEqual([expect.stringContaining('hook session-end -H codex')])
    expect((await connector.install(temp.ctx)).files.map((f) => f.action)).toEqual(['unchanged', 'unchanged'])
    expect(temp.snapshot()).toEqual(installed)
    await connector.uninstall(temp.ctx)
    expect(temp.read('.codex/config.toml')).toBe(USER_TOML)
    expect(temp.read('.codex/hooks.json')).toBe(USER_HOOKS)
  })

  it('uninstall also removes the trust entries Codex keeps for our hooks, and only those', async () => {
    temp = makeHarnessHome()
    temp.write('.codex/config.toml', USER_TOML + '\n[hooks.state."/elsewhere/hooks.json:stop:0:0"]\ntrusted_hash = "sha256:theirs"\n')
    temp.write('.codex/hooks.json', USER_HOOKS)
    const original = temp.snapshot()
    await connector.install(temp.ctx)
    const untrusted = async () => (await connector.status(temp.ctx)).problems.filter((problem) => problem.includes('untrusted'))
    expect(await untrusted()).toEqual([
      'Codex skips untrusted hooks: approve SessionStart, UserPromptSubmit, PreCompact, SessionEnd under /hooks in codex (or reinstall with codex on PATH)',
    ])
    // what approving them under /hooks writes
    const hooksFile = `${temp.home}/.codex/hooks.json`
    const trust = ['session_start:0:0', 'user_prompt_submit:0:0', 'pre_compact:0:0', 'session_end:0:0']
      .map((suffix) => `\n[hooks.state."${hooksFile}:${suffix}"]\ntrusted_hash = "sha256:abc"\n`)
      .join('')
    temp.write('.codex/config.toml', temp.read('.codex/config.toml') + trust)
    expect(await untrusted()).toEqual([])
    await connector.uninstall(temp.ctx)
    expect(withoutBackups(temp.snapshot())).toEqual(original)
  })

  it('removes a key the reference implementation wrote into config.toml when reinstalling', async () => {
    temp = makeHarnessHome()
    temp.write(
      '.codex/config.toml',
      `[mcp_servers.signet]\nurl = 'https://h:3850/mcp'\n\n[mcp_servers.signet.http_headers]\nAuthorization = 'Bearer sig_sk_0123456789ab_secret'\n`,
    )
    await connector.install(temp.ctx)
    expect(temp.read('.codex/config.toml')).not.toContain('sig_sk_')
  })

  it('creates config.toml 0600 in CODEX_HOME and an empty home is empty again after uninstall', async () => {
    temp = makeHarnessHome()
    temp.ctx.env.CODEX_HOME = `${temp.home}/codex-home`
    await connector.install(temp.ctx)
    const {statSync} = await import('node:fs')
    expect(statSync(`${temp.home}/codex-home/config.toml`).mode & 0o777).toBe(0o600)
    expect((await connector.status(temp.ctx)).state).toBe('installed')
    await connector.uninstall(temp.ctx)
    expect(temp.snapshot()).toEqual({})
    expect((await connector.status(temp.ctx)).state).toBe('not-installed')
  })
})
