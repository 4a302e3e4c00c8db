import {afterEach, describe, expect, it} from 'vitest'

import {ClaudeCodeConnector, claudeEventsFor} from '../../src/connectors/claude-code.js'
import {readJsonConfig} from '../../src/connectors/json-config-file.js'
import {makeHarnessHome, type TempHarnessHome, TEST_ENTRY} from './connector-fixtures.js'

const USER_SETTINGS = `{
  "$schema": "https://json.schemastore.org/claude-code-settings.json",
  "model": "opus",
  "permissions": {
    "allow": ["Bash(npm test)"]
  },
  "hooks": {
    "UserPromptSubmit": [
      {
        "hooks": [
          {"type": "command", "command": "~/bin/log-prompt.sh", "timeout": 5}
        ]
      }
    ],
    "Stop": [
      {"matcher": "", "hooks": [{"type": "command", "command": "say done"}]}
    ]
  }
}
`

const USER_CLAUDE_JSON = `{
  "numStartups": 42,
  "mcpServers": {
    "github": {"type": "stdio", "command": "npx", "args": ["-y", "gh-mcp"], "env": {}}
  },
  "projects": {"/home/me/app": {"allowedTools": []}}
}
`

const connector = new ClaudeCodeConnector()
let temp: TempHarnessHome

afterEach(() => temp?.cleanup())

describe('Claude Code connector', () => {
  it('writes the four hooks (timeouts in seconds) and mcpServers.signet into empty config', async () => {
    temp = makeHarnessHome()
    const result = await connector.install(temp.ctx)
    expect(result.files.map((f) => f.action)).toEqual(['created', 'created'])
    const settings = (await readJsonConfig(temp.read('.claude/settings.json'), 's')) as any
    expect(Object.keys(settings.hooks)).toEqual(['SessionStart', 'UserPromptSubmit', 'PreCompact', 'SessionEnd'])
    expect(settings.hooks.UserPromptSubmit).toEqual([
      {
        hooks: [
          {
            type: 'command',
            command: '"/usr/local/bin/node" "/opt/my tools/signetai/bin/run.js" hook user-prompt-submit -H claude-code',
            timeout: 10,
          },
        ],
      },
    ])
    for (const groups of Object.values(settings.hooks) as any[]) {
      expect(groups[0].hooks[0].timeout).toBeLessThanOrEqual(60) // seconds, never milliseconds
      expect(Object.keys(groups[0].hooks[0]).sort()).toEqual(['command', 'timeout', 'type'])
    }
    const claudeJson = (await readJsonConfig(temp.read('.claude.json'), 'c')) as any
    expect(claudeJson.mcpServers.signet).toEqual({type: 'stdio', command: TEST_ENTRY.node, args: [TEST_ENTRY.mcpJs, '--harness', 'claude-code'], env: {}})
  })

  it('is idempotent and uninstall leaves nothing behind in an empty home', async () => {
    temp = makeHarnessHome()
    await connector.install(temp.ctx)
    const first = temp.snapshot()
    const again = await connector.install(temp.ctx)
    expect(again.files.map((f) => f.action)).toEqual(['unchanged', 'unchanged'])
    expect(temp.snapshot()).toEqual(first)
    await connector.uninstall(temp.ctx)
    expect(temp.snapshot()).toEqual({})
  })

  it("keeps the user's settings and hooks byte for byte, and uninstall restores them exactly", async () => {
    temp = makeHarnessHome()
    temp.write('.claude/settings.json', USER_SETTINGS)
    temp.write('.claude.json', USER_CLAUDE_JSON)
    await connector.install(temp.ctx)
    const installed = temp.snapshot()
    const settings = (await readJsonConfig(installed['.claude/settings.json'], 's')) as any
    expect(settings.model).toBe('opus')
    expect(settings.hooks.UserPromptSubmit).toHaveLength(2)
    expect(settings.hooks.UserPromptSubmit[0].hooks[0].command).toBe('~/bin/log-prompt.sh')
    expect(settings.hooks.Stop).toEqual([{matcher: '', hooks: [{type: 'command', command: 'say done'}]}])
    expect(installed['.claude/settings.json'].startsWith('{\n  "$schema"')).toBe(true)
    expect(installed['.claude/settings.json.signet-backup']).toBe(USER_SETTINGS)
    const claudeJson = (await readJsonConfig(installed['.claude.json'], 'c')) as any
    expect(claudeJson.numStartups).toBe(42)
    expect(Object.keys(claudeJson.mcpServers)).toEqual(['github', 'signet'])

    await connector.install(temp.ctx)
    expect(temp.snapshot()).toEqual(installed)

    await connector.uninstall(temp.ctx)
    expect(temp.read('.claude/settings.json')).toBe(USER_SETTINGS)
    expect(temp.read('.claude.json')).toBe(USER_CLAUDE_JSON)
    await connector.uninstall(temp.ctx)
    expect(temp.read('.claude/settings.json')).toBe(USER_SETTINGS)
  })

  it('replaces a stale Signet hook (old path, old millisecond timeout) instead of adding a second one', async () => {
    temp = makeHarnessHome()
    temp.write(
      '.claude/settings.json',
      JSON.stringify(
        {
          hooks: {
            UserPromptSubmit: [
              {hooks: [{type: 'command', command: 'signet hook user-prompt-submit -H claude-code --project "$(pwd)"', timeout: 7000}]},
              {hooks: [{type: 'command', command: 'echo mine'}]},
            ],
            SessionStart: [{hooks: [{type: 'command', command: '"/old/node" "/old/signetai/bin/run.js" hook session-start -H claude-code', timeout: 17}]}],
          },
        },
        null,
        2,
      ),
    )
    await connector.install(temp.ctx)
    const settings = (await readJsonConfig(temp.read('.claude/settings.json'), 's')) as any
    expect(settings.hooks.UserPromptSubmit).toEqual([
      {hooks: [{type: 'command', command: 'echo mine'}]},
      {hooks: [{type: 'command', command: `"${TEST_ENTRY.node}" "${TEST_ENTRY.runJs}" hook user-prompt-submit -H claude-code`, timeout: 10}]},
    ])
    expect(settings.hooks.SessionStart).toHaveLength(1)
    expect(settings.hooks.SessionStart[0].hooks[0].command).toContain(TEST_ENTRY.runJs)
  })

  it('writes PostCompact only when the installed Claude Code accepts it (2.1.76+)', async () => {
    expect(claudeEventsFor(undefined).map((e) => e.harnessEvent)).not.toContain('PostCompact')
    expect(claudeEventsFor('2.1.75 (Claude Code)').map((e) => e.harnessEvent)).not.toContain('PostCompact')
    expect(claudeEventsFor('2.1.330 (Claude Code)').map((e) => e.harnessEvent)).toContain('PostCompact')
    expect(claudeEventsFor('1.0.50 (Claude Code)').map((e) => e.harnessEvent)).toEqual(['PreCompact'])
    temp = makeHarnessHome({versions: {claude: '2.1.330 (Claude Code)'}})
    await connector.install(temp.ctx)
    const settings = (await readJsonConfig(temp.read('.claude/settings.json'), 's')) as any
    expect(settings.hooks.PostCompact[0].hooks[0].command).toContain('hook compaction-complete -H claude-code')
  })

  it('follows CLAUDE_CONFIG_DIR for both files', async () => {
    temp = makeHarnessHome()
    temp.ctx.env.CLAUDE_CONFIG_DIR = `${temp.home}/elsewhere`
    await connector.install(temp.ctx)
    expect(Object.keys(temp.snapshot()).sort()).toEqual(['elsewhere/.claude.json', 'elsewhere/settings.json'])
    const status = await connector.status(temp.ctx)
    expect(status.state).toBe('installed')
  })

  it('reports partial installs and a settings file that cannot be parsed', async () => {
    temp = makeHarnessHome()
    await connector.install(temp.ctx)
    temp.write('.claude.json', '{}\n')
    expect((await connector.status(temp.ctx)).state).toBe('partial')
    temp.write('.claude/settings.json', '{"hooks": ')
    await expect(connector.install(temp.ctx)).rejects.toThrow(/settings\.json: .* at line 1/)
  })
})
