import {afterEach, describe, expect, it} from 'vitest'

import {GeminiConnector} from '../../src/connectors/gemini.js'
import {readJsonConfig} from '../../src/connectors/json-config-file.js'
import {makeHarnessHome, type TempHarnessHome, TEST_ENTRY} from './connector-fixtures.js'

const USER_SETTINGS = `{
  // Gemini tolerates comments in settings.json
  "theme": "GitHub",
  "hooks": {
    "BeforeTool": [{"matcher": "write_file", "hooks": [{"type": "command", "command": "./lint.sh", "timeout": 30000}]}]
  },
  "mcpServers": {
    "fs": {"command": "npx", "args": ["fs-mcp"]}
  }
}
`

const connector = new GeminiConnector()
let temp: TempHarnessHome
afterEach(() => temp?.cleanup())

describe('Gemini CLI connector', () => {
  it('maps events (BeforeAgent, PreCompress) with timeouts in milliseconds', async () => {
    temp = makeHarnessHome()
    await connector.install(temp.ctx)
    const settings = (await readJsonConfig(temp.read('.gemini/settings.json'), 's')) as any
    expect(Object.keys(settings.hooks)).toEqual(['SessionStart', 'BeforeAgent', 'PreCompress', 'SessionEnd'])
    expect(settings.hooks.BeforeAgent[0].hooks[0]).toEqual({
      type: 'command',
      command: `"${TEST_ENTRY.node}" "${TEST_ENTRY.runJs}" hook user-prompt-submit -H gemini`,
      timeout: 10_000,
      name: 'signet-user-prompt-submit',
    })
    expect(settings.hooks.PreCompress[0].hooks[0].command).toContain('hook pre-compaction -H gemini')
    expect(settings.mcpServers.signet).toEqual({command: TEST_ENTRY.node, args: [TEST_ENTRY.mcpJs, '--harness', 'gemini']})
  })

  it('keeps comments, other hooks and servers; idempotent; uninstall restores the bytes', async () => {
    temp = makeHarnessHome()
    temp.write('.gemini/settings.json', USER_SETTINGS)
    await connector.install(temp.ctx)
    const installed = temp.read('.gemini/settings.json')
    expect(installed).toContain('// Gemini tolerates comments in settings.json')
    expect(installed).toContain('"BeforeTool": [{"matcher": "write_file"')
    await connector.install(temp.ctx)
    expect(temp.read('.gemini/settings.json')).toBe(installed)
    await connector.uninstall(temp.ctx)
    expect(temp.read('.gemini/settings.json')).toBe(USER_SETTINGS)
  })

  it('follows GEMINI_CLI_HOME and flags hooks that are switched off', async () => {
    temp = makeHarnessHome()
    temp.ctx.env.GEMINI_CLI_HOME = `${temp.home}/gh`
    temp.write('gh/.gemini/settings.json', '{"hooksConfig": {"enabled": false}}\n')
    const result = await connector.install(temp.ctx)
    expect(result.notes.join(' ')).toMatch(/hooksConfig.enabled = false/)
    const status = await connector.status(temp.ctx)
    expect(status.state).toBe('installed')
    expect(status.problems.join(' ')).toMatch(/turns hooks off/)
  })
})
