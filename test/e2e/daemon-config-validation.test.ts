import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {createServer, type Server, type Socket} from 'node:net'
import path from 'node:path'

import Database from 'better-sqlite3'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {initWorkspace} from '../../src/config/workspace.js'
import {fileStamp} from '../../src/daemon/process.js'
import {freePort, runCli} from '../helpers/cli.js'
import {makeTempHome, type TempHome} from '../helpers/temp-home.js'

// A typo'd agent.yaml key used to be ignored (`auth: {mdoe: team}` ran in `local` mode), and
// `daemon restart` with an invalid agent.yaml stopped the healthy daemon and left it down.

let temp: TempHome
let env: NodeJS.ProcessEnv
let port: number
let blocker: Server | undefined
const blockerSockets: Socket[] = []

beforeEach(async () => {
  temp = makeTempHome()
  port = await freePort()
  env = {...temp.env, SIGNET_WORKSPACE: temp.workspace}
})

afterEach(async () => {
  await runCli(['daemon', 'stop'], {env})
  for (const socket of blockerSockets.splice(0)) socket.destroy()
  await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()))
  blocker = undefined
  temp.cleanup()
})

const agentYaml = () => path.join(temp.workspace, 'agent.yaml')

function writeConfig(extra = ''): void {
  writeFileSync(agentYaml(), `version: 1\nnetwork:\n  mode: localhost\n  port: ${port}\nauth:\n  mode: local\n${extra}`)
}

async function runningPid(): Promise<number | undefined> {
  const status = JSON.parse((await runCli(['daemon', 'status', '--json'], {env})).stdout)
  return status.running ? status.pid : undefined
}

async function setUpRunningDaemon(): Promise<number> {
  initWorkspace(temp.workspace)
  writeConfig()
  const start = await runCli(['daemon', 'start'], {env})
  expect(start.code, start.stderr).toBe(0)
  const pid = await runningPid()
  expect(pid).toBeGreaterThan(0)
  return pid!
}

async function expectStillServing(pid: number): Promise<void> {
  expect(await runningPid()).toBe(pid)
  const health = await fetch(`http://127.0.0.1:${port}/health`)
  expect(health.status).toBe(200)
}

describe('the daemon refuses an agent.yaml with unknown keys', () => {
  it('start: exit 1 naming the key, its line and the closest valid key; nothing runs', async () => {
    initWorkspace(temp.workspace)
    writeConfig()
    writeFileSync(agentYaml(), readFileSync(agentYaml(), 'utf8').replace('  mode: local\n', '  mdoe: team\n'))
    const start = await runCli(['daemon', 'start'], {env})
    expect(start.code).toBe(1)
    expect(start.stderr).toMatch(/auth\.mdoe \(line 6\): unknown key — did you mean auth\.mode\?/)
    expect(existsSync(path.join(temp.workspace, '.daemon', 'pid'))).toBe(false)
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow()
  })
})

describe('status commands and the agent.yaml the daemon validated', () => {
  it('the daemon records the file it validated; status takes its settings from the daemon while the file is unchanged', async () => {
    const pid = await setUpRunningDaemon()
    const state = JSON.parse(readFileSync(path.join(temp.workspace, '.daemon', 'daemon.json'), 'utf8'))
    expect(state).toMatchObject({pid, agentYaml: fileStamp(agentYaml()), agentName: 'signet'})
    const status = JSON.parse((await runCli(['daemon', 'status', '--json'], {env})).stdout)
    expect(status).toMatchObject({running: true, bindHost: '127.0.0.1', networkMode: 'localhost', authMode: 'local', configuredAuthMode: 'local'})
    expect(status.warning).toBeUndefined()
    const overview = await runCli(['status'], {env})
    expect(overview.stdout).toMatch(/^Signet agent signet /)
    expect(overview.stdout).toContain('127.0.0.1 (localhost), auth local')
    // The same content written again is another file as far as the stamp goes: parsed, still fine.
    writeConfig()
    const again = JSON.parse((await runCli(['daemon', 'status', '--json'], {env})).stdout)
    expect(again).toMatchObject({running: true, bindHost: '127.0.0.1', authMode: 'local'})
    expect(again.warning).toBeUndefined()
  })
})

describe('daemon restart validates before it stops anything', () => {
  it('an invalid agent.yaml: exit 1 with the problem, the running daemon keeps serving', async () => {
    const pid = await setUpRunningDaemon()
    writeConfig('hooks:\n  promptMinScroe: 0.9\n')
    const restart = await runCli(['daemon', 'restart'], {env})
    expect(restart.code).toBe(1)
    expect(restart.stderr).toMatch(/hooks\.promptMinScroe \(line 8\): unknown key — did you mean hooks\.promptMinScore\?/)
    await expectStillServing(pid)
    // `daemon status` still shows the running daemon, and says the file it would restart with is broken.
    const status = JSON.parse((await runCli(['daemon', 'status', '--json'], {env})).stdout)
    expect(status).toMatchObject({running: true, pid, warning: expect.stringMatching(/hooks\.promptMinScroe.*fix agent\.yaml before restarting/)})

    // Once fixed, restart does restart.
    writeConfig()
    const again = await runCli(['daemon', 'restart'], {env})
    expect(again.code, again.stderr).toBe(0)
    const newPid = await runningPid()
    expect(newPid).toBeGreaterThan(0)
    expect(newPid).not.toBe(pid)
  })

  it('a database from a newer Signet: exit 1, the running daemon keeps serving', async () => {
    const pid = await setUpRunningDaemon()
    const db = new Database(path.join(temp.workspace, 'memory', 'memories.db'))
    db.pragma('user_version = 999')
    db.close()
    const restart = await runCli(['daemon', 'restart'], {env})
    expect(restart.code).toBe(1)
    expect(restart.stderr).toMatch(/schema version 999, newer than this Signet understands/)
    await expectStillServing(pid)
  })

  it('a new port another program holds: exit 1, the running daemon keeps serving', async () => {
    const pid = await setUpRunningDaemon()
    const taken = await freePort()
    // Another program on the new port: it accepts connections and never answers.
    blocker = createServer((socket) => {
      socket.on('error', () => undefined)
      blockerSockets.push(socket)
    })
    await new Promise<void>((resolve) => blocker!.listen(taken, '127.0.0.1', resolve))
    writeFileSync(agentYaml(), readFileSync(agentYaml(), 'utf8').replace(`port: ${port}`, `port: ${taken}`))
    const restart = await runCli(['daemon', 'restart'], {env})
    expect(restart.code).toBe(1)
    expect(restart.stderr).toMatch(new RegExp(`port ${taken} on 127\\.0\\.0\\.1 is in use by another program`))
    await expectStillServing(pid)
  })

  it('an invalid SIGNET_PORT: exit 1, the running daemon keeps serving', async () => {
    const pid = await setUpRunningDaemon()
    const restart = await runCli(['daemon', 'restart'], {env: {...env, SIGNET_PORT: 'eighty'}})
    expect(restart.code).toBe(1)
    expect(restart.stderr).toMatch(/SIGNET_PORT=eighty is not a valid port/)
    await expectStillServing(pid)
  })
})
