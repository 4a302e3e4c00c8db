import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {freePort, runCli} from '../helpers/cli.js'
import {makeTempHome, type TempHome} from '../helpers/temp-home.js'

let temp: TempHome
let env: NodeJS.ProcessEnv
const stopWorkspaces: string[] = []

beforeEach(async () => {
  temp = makeTempHome()
  // No harness binaries: detection and version probes see only the temp HOME.
  env = {...temp.env, SIGNET_PORT: String(await freePort()), PATH: path.dirname(process.execPath) + ':/usr/bin:/bin', SIGNET_NO_KEYCHAIN: '1'}
})

afterEach(async () => {
  for (const workspace of stopWorkspaces.splice(0)) await runCli(['daemon', 'stop', '--path', workspace], {env})
  await runCli(['daemon', 'stop'], {env})
  temp.cleanup()
})

describe('signet setup --yes', () => {
  it('creates the workspace, connects claude-code and codex, starts the daemon; doctor is clean and status describes it', async () => {
    const setup = await runCli(['setup', '--yes', '--harness', 'claude-code', '--harness', 'codex'], {env, timeoutMs: 60_000})
    expect(setup.stderr).toBe('')
    expect(setup.code).toBe(0)
    expect(setup.stdout).toMatch(/Workspace .*\.agents \(created\)/)
    expect(setup.stdout).toMatch(/claude-code connected/)
    expect(setup.stdout).toMatch(/codex connected/)
    expect(setup.stdout).toMatch(/Daemon started at http:\/\/127\.0\.0\.1:\d+ \(pid \d+\)/)

    const settings = readFileSync(path.join(temp.home, '.claude', 'settings.json'), 'utf8')
    expect(settings).toMatch(/hook session-start -H claude-code/)
    expect(JSON.parse(readFileSync(path.join(temp.home, '.claude.json'), 'utf8')).mcpServers.signet).toBeDefined()
    expect(readFileSync(path.join(temp.home, '.codex', 'config.toml'), 'utf8')).toContain('[mcp_servers.signet]')
    expect(readFileSync(path.join(temp.workspace, 'agent.yaml'), 'utf8')).toMatch(/harnesses:\n {2}- claude-code\n {2}- codex\n/)

    const doctor = await runCli(['doctor', '--json'], {env})
    const report = JSON.parse(doctor.stdout)
    expect(report.ok).toBe(true)
    expect(doctor.code).toBe(0)
    // The one thing left to the user: codex is not on this PATH, so its hooks await approval under /hooks.
    const notInfo = report.findings.filter((finding: {level: string}) => finding.level !== 'info')
    expect(notInfo).toEqual([
      expect.objectContaining({level: 'warn', code: 'connector_out_of_date', message: expect.stringMatching(/^Codex CLI: Codex skips untrusted hooks/)}),
    ])

    const status = JSON.parse((await runCli(['status', '--json'], {env})).stdout)
    expect(status).toMatchObject({
      workspace: {path: temp.workspace, source: 'default', exists: true},
      agent: {name: 'signet'},
      daemon: {running: true, bindHost: '127.0.0.1', networkMode: 'localhost', authMode: 'local', url: `http://127.0.0.1:${env.SIGNET_PORT}`},
      memories: 0,
      sessionsToday: 0,
      keys: {active: 0, revoked: 0, expired: 0},
    })
    expect(status.warnings).toEqual([expect.stringMatching(/^Codex CLI: Codex skips untrusted hooks/)])
    const states = Object.fromEntries(status.connectors.map((connector: {harness: string; state: string}) => [connector.harness, connector.state]))
    expect(states).toMatchObject({'claude-code': 'installed', codex: 'installed', gemini: 'not-installed'})

    // A session started by a harness hook shows up in today's count.
    const hook = await runCli(['hook', 'session-start', '-H', 'claude-code'], {
      env,
      input: JSON.stringify({session_id: 'setup-e2e', cwd: temp.home, hook_event_name: 'SessionStart', source: 'startup'}),
    })
    expect(hook.code).toBe(0)
    expect(JSON.parse((await runCli(['status', '--json'], {env})).stdout).sessionsToday).toBe(1)

    // Human output on one screen, no colour codes under NO_COLOR.
    const human = await runCli(['status'], {env})
    expect(human.stdout).toMatch(/daemon\s+● running v\S+ at http/)
    expect(human.stdout).toMatch(/connectors\s+claude-code installed, codex installed/)
    expect(human.stdout).toMatch(/sessions\s+1 today/)
    expect(human.stdout).not.toMatch(/\u001b\[/)
  })

  it('re-running changes only what was asked and restarts the daemon only for network/auth changes', async () => {
    expect((await runCli(['setup', '--yes', '--no-start'], {env})).code).toBe(0)
    const file = path.join(temp.workspace, 'agent.yaml')
    const handEdited = readFileSync(file, 'utf8').replace('version: 1\n', '# hand-written note\nversion: 1\n') + 'embedding_notes: keep me\n'
    writeFileSync(file, handEdited.replace('embedding_notes: keep me\n', ''))
    const before = readFileSync(file, 'utf8')

    const same = await runCli(['setup', '--yes', '--no-start', '--json'], {env})
    expect(JSON.parse(same.stdout).agentYaml.changed).toEqual([])
    expect(readFileSync(file, 'utf8')).toBe(before)

    const start = JSON.parse((await runCli(['setup', '--yes', '--json'], {env})).stdout)
    expect(start.daemon.action).toBe('started')
    const again = JSON.parse((await runCli(['setup', '--yes', '--name', 'ada', '--json'], {env})).stdout)
    expect(again.daemon).toMatchObject({action: 'already-running', pid: start.daemon.pid})
    const team = JSON.parse((await runCli(['setup', '--yes', '--auth-mode', 'team', '--json'], {env})).stdout)
    expect(team.agentYaml.changed).toEqual(['auth.mode'])
    expect(team.daemon.action).toBe('restarted')
    expect(team.daemon.pid).not.toBe(start.daemon.pid)

    const after = readFileSync(file, 'utf8')
    expect(after).toContain('# hand-written note')
    expect(after).toContain('# local | hybrid | team')
    expect(after.replace('mode: team', 'mode: local').replace('"ada"', '"signet"')).toBe(before)
    const status = JSON.parse((await runCli(['status', '--json'], {env})).stdout)
    expect(status.daemon.authMode).toBe('team')
  })

  it('tailnet implies hybrid auth; tailnet with local auth is refused', async () => {
    const refused = await runCli(['setup', '--yes', '--no-start', '--network-mode', 'tailscale', '--auth-mode', 'local'], {env})
    expect(refused.code).toBe(1)
    expect(refused.stderr.trim().split('\n')).toHaveLength(1)
    expect(refused.stderr).toMatch(/needs --auth-mode hybrid or team/)
    const tailnet = JSON.parse((await runCli(['setup', '--yes', '--no-start', '--network-mode', 'tailnet', '--json'], {env})).stdout)
    expect(tailnet.config).toMatchObject({networkMode: 'tailscale', authMode: 'hybrid'})
    expect(tailnet.warnings.join('\n')).toMatch(/hybrid/)
  })

  it('saves a non-default workspace so later commands find it', async () => {
    const workspace = path.join(temp.home, 'agents', 'work')
    stopWorkspaces.push(workspace)
    const result = JSON.parse((await runCli(['setup', '--yes', '--workspace', workspace, '--name', 'work', '--json'], {env})).stdout)
    expect(result.workspace).toMatchObject({path: workspace, created: true, saved: true})
    const show = JSON.parse((await runCli(['workspace', 'show', '--json'], {env})).stdout)
    expect(show).toMatchObject({path: workspace, source: 'saved', isWorkspace: true, daemon: {running: true}})
    const status = JSON.parse((await runCli(['status', '--json'], {env})).stdout)
    expect(status).toMatchObject({agent: {name: 'work'}, daemon: {running: true}})
  })

  it('never prompts without a terminal: without --yes it fails listing the flags; bad flags are named', async () => {
    const noTty = await runCli(['setup'], {env})
    expect(noTty.code).toBe(1)
    expect(noTty.stderr.trim().split('\n')).toHaveLength(1)
    for (const flag of ['--yes', '--workspace', '--name', '--network-mode', '--auth-mode', '--harness', '--no-start']) expect(noTty.stderr).toContain(flag)
    expect(existsSync(temp.workspace)).toBe(false)

    const unknown = await runCli(['setup', '--yes', '--harness', 'vscode'], {env})
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toMatch(/unknown harness "vscode" — use one of: claude-code, codex/)
    const badName = await runCli(['setup', '--yes', '--name', '  '], {env})
    expect(badName.code).toBe(1)
    expect(badName.stderr).toMatch(/--name: the agent name cannot be empty/)
  })
})
