import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {DAEMON_NODE_FLAGS} from '../../src/daemon/memory-settings.js'
import {freePort, runCli} from '../helpers/cli.js'
import {makeTempHome, type TempHome} from '../helpers/temp-home.js'

let temp: TempHome
let env: NodeJS.ProcessEnv

beforeEach(async () => {
  temp = makeTempHome()
  env = {...temp.env, SIGNET_PORT: String(await freePort())}
})

afterEach(async () => {
  await runCli(['daemon', 'stop'], {env})
  temp.cleanup()
})

describe('signet daemon lifecycle', () => {
  it('start creates the default workspace, status reports it, double start is refused, stop cleans up', async () => {
    const start = await runCli(['daemon', 'start'], {env})
    expect(start.stderr).toBe('')
    expect(start.code).toBe(0)
    expect(start.stdout).toMatch(/Daemon running at http:\/\/127\.0\.0\.1:\d+ \(pid \d+\)/)
    for (const file of ['agent.yaml', 'AGENTS.md', 'memory/memories.db', '.daemon/pid', '.daemon/lock']) {
      expect(existsSync(path.join(temp.workspace, file)), file).toBe(true)
    }

    const status = await runCli(['daemon', 'status', '--json'], {env})
    expect(status.code).toBe(0)
    const report = JSON.parse(status.stdout)
    expect(report).toMatchObject({
      running: true,
      bindHost: '127.0.0.1',
      networkMode: 'localhost',
      authMode: 'local',
      workspace: temp.workspace,
      memoryCount: 0,
      version: expect.any(String),
    })
    for (const key of ['running', 'pid', 'version', 'uptime', 'url', 'bindHost', 'networkMode', 'authMode', 'workspace', 'dbPath', 'memoryCount']) {
      expect(report, key).toHaveProperty(key)
    }
    // The daemon runs with its node flags and environment (its heap kept small, B6 in bench/README.md).
    if (process.platform === 'linux') {
      const argv = readFileSync(`/proc/${report.pid}/cmdline`, 'utf8').split('\0')
      expect(argv.slice(1, 1 + DAEMON_NODE_FLAGS.length)).toEqual(DAEMON_NODE_FLAGS)
      expect(argv).toContain('--max-semi-space-size=2')
      expect(readFileSync(`/proc/${report.pid}/environ`, 'utf8').split('\0')).toContain('MALLOC_ARENA_MAX=1')
    }

    const again = await runCli(['daemon', 'start'], {env})
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/already running \(pid \d+\)/)

    const stop = await runCli(['daemon', 'stop'], {env})
    expect(stop.code).toBe(0)
    expect(stop.stdout).toMatch(/Daemon stopped/)
    expect(existsSync(path.join(temp.workspace, '.daemon/pid'))).toBe(false)
    expect(existsSync(path.join(temp.workspace, '.daemon/lock'))).toBe(false)

    const stopped = JSON.parse((await runCli(['daemon', 'status', '--json'], {env})).stdout)
    expect(stopped.running).toBe(false)
  })

  it('a stale pid file is detected and cleaned on start', async () => {
    await runCli(['daemon', 'start'], {env})
    await runCli(['daemon', 'stop'], {env})
    // A pid that cannot be alive, left behind as if the daemon had been killed.
    writeFileSync(path.join(temp.workspace, '.daemon/pid'), '999999\n')
    writeFileSync(path.join(temp.workspace, '.daemon/lock'), '999999\n')
    const start = await runCli(['daemon', 'start'], {env})
    expect(start.code).toBe(0)
    expect(start.stdout).toMatch(/stale pid file \(pid 999999/)
    const pid = Number(readFileSync(path.join(temp.workspace, '.daemon/pid'), 'utf8'))
    expect(pid).not.toBe(999999)
  })

  it('restart gives a new process that still has the data', async () => {
    await runCli(['daemon', 'start'], {env})
    await runCli(['remember', 'restart survives', '--json'], {env})
    const before = JSON.parse((await runCli(['daemon', 'status', '--json'], {env})).stdout)
    const restart = await runCli(['daemon', 'restart'], {env})
    expect(restart.code).toBe(0)
    const after = JSON.parse((await runCli(['daemon', 'status', '--json'], {env})).stdout)
    expect(after.pid).not.toBe(before.pid)
    expect(after.memoryCount).toBe(1)
  })

  it('an invalid agent.yaml stops start with the key, value and line', async () => {
    await runCli(['daemon', 'start'], {env})
    await runCli(['daemon', 'stop'], {env})
    writeFileSync(path.join(temp.workspace, 'agent.yaml'), 'agent:\n  name: x\nauth:\n  mode: wide-open\n')
    const start = await runCli(['daemon', 'start'], {env})
    expect(start.code).toBe(1)
    expect(start.stderr).toMatch(/auth\.mode = "wide-open" \(line 4\)/)
    expect(start.stderr.trim().split('\n')).toHaveLength(1)
  })

  it('a non-loopback bind with local auth starts in hybrid mode and says so', async () => {
    const start = await runCli(['daemon', 'start'], {env: {...env, SIGNET_BIND: '0.0.0.0'}})
    expect(start.code).toBe(0)
    expect(start.stderr).toMatch(/serving in "hybrid" mode/)
    const report = JSON.parse((await runCli(['daemon', 'status', '--json'], {env})).stdout)
    expect(report).toMatchObject({bindHost: '0.0.0.0', networkMode: 'tailscale', authMode: 'hybrid'})
  })

  it('a configured workspace that does not exist is an error, not a new workspace', async () => {
    const missing = path.join(temp.home, 'nowhere')
    const start = await runCli(['daemon', 'start'], {env: {...env, SIGNET_WORKSPACE: missing}})
    expect(start.code).toBe(1)
    expect(start.stderr).toMatch(/has no agent\.yaml/)
    expect(existsSync(missing)).toBe(false)
  })
})

describe('signet remember / recall', () => {
  it('finds what was remembered, in JSON and as a table', async () => {
    await runCli(['daemon', 'start'], {env})
    const saved = await runCli(['remember', 'The staging database listens on port 5433', '--tags', 'infra,db', '--json'], {env})
    expect(saved.code).toBe(0)
    const memory = JSON.parse(saved.stdout)
    expect(memory).toMatchObject({deduped: false, memory: {tags: ['infra', 'db']}})
    await runCli(['remember', 'Lunch is at noon'], {env})

    const found = await runCli(['recall', 'which port does the staging database use', '--json'], {env})
    const result = JSON.parse(found.stdout)
    expect(result.results[0].id).toBe(memory.id)
    expect(result.results[0].score).toBeGreaterThan(0.45)
    // A memory stored in the same sitting may come along as conversation context, never above the match.
    for (const row of result.results.slice(1)) {
      expect(row.source).toBe('context')
      expect(row.score).toBeLessThan(result.results[0].score)
    }

    const table = await runCli(['recall', 'staging database'], {env})
    expect(table.stdout).toMatch(/SCORE\s+MEMORY/)
    expect(table.stdout).toContain('staging database')
  })

  it('bad flags and an unreachable daemon give one actionable line', async () => {
    const bad = await runCli(['remember', 'x', '--importance', '3'], {env})
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/--importance must be a number from 0 to 1/)
    const down = await runCli(['recall', 'anything'], {env})
    expect(down.code).toBe(1)
    expect(down.stderr).toMatch(
      /the daemon for this workspace is not running \(nothing answers on \S+signet\.sock: (ENOENT|ECONNREFUSED)\) — run `signet daemon start`/,
    )
    const badUrl = await runCli(['recall', 'x'], {env: {...env, SIGNET_DAEMON_URL: 'http://host:3850/api'}})
    expect(badUrl.stderr).toMatch(/bare origin/)
  })
})
