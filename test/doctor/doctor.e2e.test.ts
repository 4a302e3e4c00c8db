import {openSync, closeSync, readFileSync, statSync, writeFileSync, writeSync} from 'node:fs'
import {createServer, type Server} from 'node:net'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {initWorkspace} from '../../src/config/workspace.js'
import {startServer, type RunningServer} from '../../src/daemon/server.js'
import {openDatabase} from '../../src/store/db.js'
import {MemoryStore} from '../../src/store/memories.js'
import {freePort, runCli} from '../helpers/cli.js'
import {makeTempHome, type TempHome} from '../helpers/temp-home.js'

interface Finding {
  level: 'info' | 'warn' | 'error'
  code: string
  message: string
  fix?: string
}

let temp: TempHome
let env: NodeJS.ProcessEnv
let port: number
const cleanups: Array<() => Promise<void>> = []

beforeEach(async () => {
  temp = makeTempHome()
  port = await freePort()
  env = {...temp.env, SIGNET_PORT: String(port), PATH: path.dirname(process.execPath) + ':/usr/bin:/bin', SIGNET_NO_KEYCHAIN: '1'}
})

afterEach(async () => {
  await runCli(['daemon', 'stop'], {env})
  for (const cleanup of cleanups.splice(0)) await cleanup()
  temp.cleanup()
})

async function doctor(): Promise<{code: number; ok: boolean; findings: Finding[]; stderr: string}> {
  const result = await runCli(['doctor', '--json'], {env})
  const report = JSON.parse(result.stdout)
  return {code: result.code, ok: report.ok, findings: report.findings, stderr: result.stderr}
}

const codes = (findings: Finding[]) => findings.map((finding) => finding.code)

describe('signet doctor', () => {
  it('a missing workspace is an error with the setup command as fix; exit 1', async () => {
    const result = await doctor()
    expect(result.code).toBe(1)
    expect(result.ok).toBe(false)
    expect(result.findings[0]).toMatchObject({level: 'error', code: 'workspace_missing', fix: `signet setup --workspace ${temp.workspace}`})
    // Human output: one block per finding, the fix on the next line.
    const human = await runCli(['doctor'], {env})
    expect(human.code).toBe(1)
    expect(human.stdout).toMatch(/✗ error {2}workspace .* does not exist\n\s+fix: signet setup --workspace/)
  })

  it('daemon down and its port held by another program are both errors with fixes', async () => {
    initWorkspace(temp.workspace)
    const sockets = new Set<import('node:net').Socket>()
    const blocker: Server = createServer((socket) => sockets.add(socket))
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve))
    cleanups.push(
      () =>
        new Promise((resolve) => {
          for (const socket of sockets) socket.destroy()
          blocker.close(() => resolve())
        }),
    )
    const result = await doctor()
    expect(result.code).toBe(1)
    expect(result.findings).toContainEqual(expect.objectContaining({level: 'error', code: 'daemon_down', fix: expect.stringContaining('signet daemon start')}))
    expect(result.findings).toContainEqual(expect.objectContaining({level: 'error', code: 'port_taken', message: expect.stringContaining('another program')}))
  })

  it('recognises another Signet daemon on the port', async () => {
    initWorkspace(temp.workspace)
    const other = makeTempHome()
    initWorkspace(other.workspace)
    const server: RunningServer = await startServer({workspace: other.workspace, port})
    cleanups.push(async () => {
      await server.close()
      other.cleanup()
    })
    const result = await doctor()
    expect(result.findings).toContainEqual(expect.objectContaining({code: 'port_taken', message: expect.stringMatching(/another Signet daemon \(v\d/)}))
  })

  it('an invalid agent.yaml names the key, value and line', async () => {
    initWorkspace(temp.workspace)
    writeFileSync(path.join(temp.workspace, 'agent.yaml'), 'version: 1\nauth:\n  mode: everyone\n')
    const result = await doctor()
    expect(result.code).toBe(1)
    expect(result.findings[0]).toMatchObject({level: 'error', code: 'agent_yaml_invalid', message: expect.stringContaining('auth.mode = "everyone" (line 3)')})
  })

  it('tailscale without auth, a stale pid and a corrupt database are reported', async () => {
    initWorkspace(temp.workspace)
    writeFileSync(path.join(temp.workspace, 'agent.yaml'), 'version: 1\nnetwork:\n  mode: tailscale\nauth:\n  mode: local\n')
    writeFileSync(path.join(temp.workspace, '.daemon', 'pid'), '999999\n')
    // A real database with enough rows to span many pages, then one page overwritten.
    const dbPath = path.join(temp.workspace, 'memory', 'memories.db')
    const db = openDatabase(dbPath)
    const store = new MemoryStore(db)
    for (let index = 0; index < 400; index++) store.remember({agentId: 'default', content: `memory number ${index} ${'padding '.repeat(20)}`})
    db.pragma('wal_checkpoint(TRUNCATE)')
    db.close()
    const size = statSync(dbPath).size
    const fd = openSync(dbPath, 'r+')
    writeSync(fd, Buffer.alloc(4096, 0xab), 0, 4096, size - 4096)
    closeSync(fd)

    const result = await doctor()
    expect(result.findings).toContainEqual(expect.objectContaining({level: 'warn', code: 'network_without_auth'}))
    expect(result.findings).toContainEqual(expect.objectContaining({level: 'warn', code: 'stale_pid', message: expect.stringContaining('999999')}))
    const database = result.findings.find((finding) => finding.code === 'db_integrity' || finding.code === 'db_unreadable')
    expect(database).toMatchObject({level: 'error'})
    expect(result.code).toBe(1)
  })

  it('with the daemon up, checks the database through it and flags a connector edited by hand', async () => {
    expect((await runCli(['setup', '--yes', '--harness', 'claude-code'], {env, timeoutMs: 60_000})).code).toBe(0)
    // With the daemon up, doctor asks it about the database and never loads the SQLite driver (a
    // native module, ≈ 8 ms of every doctor run): the modules loaded are written at exit by a preload.
    const loadedFile = path.join(temp.home, 'doctor-modules.json')
    const preload = path.join(temp.home, 'record-modules.cjs')
    writeFileSync(
      preload,
      `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(loadedFile)}, JSON.stringify(Object.keys(require.cache))))`,
    )
    expect((await runCli(['doctor', '--json'], {env: {...env, NODE_OPTIONS: `--require ${preload}`}})).stdout).toContain('"findings"')
    const loaded = JSON.parse(readFileSync(loadedFile, 'utf8')) as string[]
    expect(loaded.some((file) => file.includes('cli.cjs'))).toBe(true)
    expect(loaded.filter((file) => /better-sqlite3/.test(file))).toEqual([])

    let result = await doctor()
    expect(result.findings.filter((finding) => finding.level !== 'info')).toEqual([])
    expect(codes(result.findings)).not.toContain('db_not_checked')
    // a small store has every page read without asking; --deep is accepted and reads them too
    expect(codes(result.findings)).not.toContain('db_pages_not_checked')
    const deep = await runCli(['doctor', '--deep', '--json'], {env})
    expect(deep.code).toBe(0)
    expect(codes(JSON.parse(deep.stdout).findings)).not.toContain('db_pages_not_checked')

    // The user removed our MCP entry from ~/.claude.json but left the hooks.
    const mcpFile = path.join(temp.home, '.claude.json')
    const claude = JSON.parse(readFileSync(mcpFile, 'utf8'))
    delete claude.mcpServers.signet
    writeFileSync(mcpFile, JSON.stringify(claude, null, 2))
    result = await doctor()
    expect(result.findings).toContainEqual(expect.objectContaining({level: 'warn', code: 'connector_partial', fix: 'signet connector install claude-code'}))
    expect(result.code).toBe(0)
    const status = JSON.parse((await runCli(['status', '--json'], {env})).stdout)
    expect(status.connectors.find((connector: {harness: string}) => connector.harness === 'claude-code').state).toBe('partial')
    expect(status.warnings.join('\n')).toMatch(/Claude Code connector is incomplete/)

    // agent.yaml broken while the daemon runs (doctor asks the daemon before it reads the file):
    // the file's error is reported once, nothing else fails, and no request is left unhandled.
    writeFileSync(path.join(temp.workspace, 'agent.yaml'), 'version: 1\nversion: 2\n')
    result = await doctor()
    expect(result.code).toBe(1)
    expect(result.findings.filter((finding) => finding.level === 'error')).toEqual([
      expect.objectContaining({code: 'agent_yaml_invalid', message: expect.stringContaining('YAML syntax error at line 2')}),
    ])
    expect(result.findings.filter((finding) => finding.message.includes('YAML'))).toHaveLength(1)
    expect(result.stderr).toBe('')
  })
})
