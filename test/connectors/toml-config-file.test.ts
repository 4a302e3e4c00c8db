import {describe, expect, it} from 'vitest'

import {getTomlValue, removeTomlTable, upsertTomlTable} from '../../src/connectors/toml-config-file.js'

const USER_TOML = `# Codex settings (the user's)
model = "o3"
approval_policy = "on-request"

[features]
hooks = true # keep hooks on

[mcp_servers.github]
command = "npx"
args = ["-y", "@modelcontextprotocol/server-github"]
env = { GITHUB_TOKEN_VAR = "x" }

# profiles below
[profiles.fast]
model = "o4-mini"
`

const OURS = {command: '/usr/bin/node', args: ['/opt/signet/bin/mcp.js'], env_vars: ['SIGNET_API_KEY']}

describe('toml-config-file', async () => {
  it('appends our table, keeps every other byte, and removal restores the original', async () => {
    const added = await upsertTomlTable(USER_TOML, ['mcp_servers', 'signet'], OURS, 'config.toml')
    expect(added.startsWith(USER_TOML)).toBe(true)
    expect(added.slice(USER_TOML.length)).toBe(
      '\n[mcp_servers.signet]\ncommand = "/usr/bin/node"\nargs = ["/opt/signet/bin/mcp.js"]\nenv_vars = ["SIGNET_API_KEY"]\n',
    )
    expect(await getTomlValue(added, ['mcp_servers', 'signet'], 'config.toml')).toEqual(OURS)
    expect(await getTomlValue(added, ['mcp_servers', 'github', 'command'], 'config.toml')).toBe('npx')
    expect(await upsertTomlTable(added, ['mcp_servers', 'signet'], OURS, 'config.toml')).toBe(added)
    expect(await removeTomlTable(added, ['mcp_servers', 'signet'], 'config.toml')).toBe(USER_TOML)
  })

  it('works on an empty file and a file without a trailing newline', async () => {
    const fresh = await upsertTomlTable('', ['mcp_servers', 'signet'], OURS, 'c')
    expect(fresh.startsWith('[mcp_servers.signet]\n')).toBe(true)
    expect(await removeTomlTable(fresh, ['mcp_servers', 'signet'], 'c')).toBe('')
    const noNewline = 'model = "o3"'
    const added = await upsertTomlTable(noNewline, ['mcp_servers', 'signet'], OURS, 'c')
    expect(await getTomlValue(added, ['model'], 'c')).toBe('o3')
    expect(await getTomlValue(added, ['mcp_servers', 'signet', 'command'], 'c')).toBe('/usr/bin/node')
  })

  it('replaces a stale table in the middle of the file, with its sub-tables, and nothing else', async () => {
    const stale = `[mcp_servers.signet]
command = "signet-mcp"
args = []

[mcp_servers.signet.http_headers]
Authorization = "Bearer sig_sk_leaked"

[profiles.fast]
model = "o4-mini"
`
    const fixed = await upsertTomlTable(stale, ['mcp_servers', 'signet'], OURS, 'c')
    expect(fixed).not.toContain('sig_sk_leaked')
    expect(fixed).toContain('[profiles.fast]\nmodel = "o4-mini"\n')
    expect(await getTomlValue(fixed, ['mcp_servers', 'signet'], 'c')).toEqual(OURS)
    expect(await getTomlValue(fixed, ['profiles', 'fast', 'model'], 'c')).toBe('o4-mini')
  })

  it('finds a definition written as dotted keys or an inline table under [mcp_servers]', async () => {
    const dotted = '[mcp_servers]\nsignet = { command = "old" }\nother = { command = "x" }\n'
    const fixed = await upsertTomlTable(dotted, ['mcp_servers', 'signet'], OURS, 'c')
    expect(await getTomlValue(fixed, ['mcp_servers'], 'c')).toEqual({other: {command: 'x'}, signet: OURS})
    expect(await removeTomlTable(fixed, ['mcp_servers', 'signet'], 'c')).toBe('[mcp_servers]\nother = { command = "x" }\n')
  })

  it('leaves a table whose name only starts like ours alone', async () => {
    const text = '[mcp_servers.signet-other]\ncommand = "x"\n'
    expect(await removeTomlTable(text, ['mcp_servers', 'signet'], 'c')).toBe(text)
  })

  it('quotes strings so Windows paths and quotes survive', async () => {
    const values = {command: 'C:\\Program Files\\node.exe', args: ['say "hi"']}
    const added = await upsertTomlTable('', ['mcp_servers', 'signet'], values, 'c')
    expect(await getTomlValue(added, ['mcp_servers', 'signet'], 'c')).toEqual(values)
  })

  it('refuses a broken file with the line number', async () => {
    await expect(upsertTomlTable('model = \n[x', ['mcp_servers', 'signet'], OURS, '/h/.codex/config.toml')).rejects.toThrow(/config\.toml: .*at line 2/)
  })
})
