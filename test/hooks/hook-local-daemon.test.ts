import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {freePort, runCli} from '../helpers/cli.js'
import {overSocket} from '../helpers/daemon.js'
import {makeTempHome, type TempHome} from '../helpers/temp-home.js'
import {fillerNotes} from './support/corpus.js'
import {runHook} from './support/run-hook.js'

/*
 * The everyday local setup: no SIGNET_DAEMON_URL, no key in the environment. The hook reaches the
 * daemon through the workspace's socket .daemon/signet.sock (in every auth mode), exactly like the
 * CLI, and goes quiet when the daemon is stopped.
 */

let temp: TempHome
let env: NodeJS.ProcessEnv
let repoDir: string

beforeEach(async () => {
  temp = makeTempHome()
  env = {...temp.env, SIGNET_PORT: String(await freePort())}
  repoDir = path.join(temp.home, 'code', 'api')
  mkdirSync(path.join(repoDir, '.git'), {recursive: true})
  writeFileSync(path.join(repoDir, '.git', 'config'), '[remote "origin"]\n\turl = git@github.com:acme/api.git\n')
})

afterEach(async () => {
  await runCli(['daemon', 'stop'], {env})
  temp.cleanup()
})

const prompt = JSON.stringify({session_id: 'local-1', cwd: '', hook_event_name: 'UserPromptSubmit', prompt: 'which port does the staging database use?'})

describe('hook against the local daemon (no env)', () => {
  it('finds the running daemon from the workspace, injects, and is a quiet exit 0 once the daemon stops', async () => {
    expect((await runCli(['daemon', 'start'], {env})).code).toBe(0)
    const socketPath = path.join(temp.workspace, '.daemon', 'signet.sock')
    const remember = (body: Record<string, unknown>) =>
      overSocket(socketPath, 'POST', '/api/memory/remember', {'content-type': 'application/json'}, JSON.stringify(body))
    for (const note of fillerNotes(60)) await remember({content: note})
    expect((await runCli(['remember', 'The staging database listens on port 5433', '--project', 'github.com/acme/api'], {env})).code).toBe(0)
    const input = prompt.replace('"cwd":""', `"cwd":${JSON.stringify(repoDir)}`)
    const up = await runHook(['user-prompt-submit', '-H', 'claude-code'], {env, input})
    expect(up).toMatchObject({code: 0, stderr: ''})
    expect(JSON.parse(up.stdout).hookSpecificOutput.additionalContext).toContain('staging database listens on port 5433')

    expect((await runCli(['daemon', 'stop'], {env})).code).toBe(0)
    const down = await runHook(['user-prompt-submit', '-H', 'claude-code'], {env, input})
    expect(down).toMatchObject({code: 0, stdout: ''})
    expect(down.stderr).toMatch(/daemon not running for .*(ENOENT|ECONNREFUSED)/)
    expect(down.elapsedMs).toBeLessThan(5000)

    // session-start with the daemon stopped: the workspace's own identity files.
    const start = await runHook(['session-start', '-H', 'claude-code'], {env, input: JSON.stringify({session_id: 'local-2', cwd: repoDir, source: 'startup'})})
    expect(start.code).toBe(0)
    expect(JSON.parse(start.stdout).hookSpecificOutput.additionalContext).toContain('## Agent Instructions')
  })

  it('team mode: the hook reaches the daemon through the owner socket, no token needed', async () => {
    expect((await runCli(['daemon', 'start'], {env})).code).toBe(0)
    expect((await runCli(['daemon', 'stop'], {env})).code).toBe(0)
    writeFileSync(path.join(temp.workspace, 'agent.yaml'), 'auth:\n  mode: team\n')
    expect((await runCli(['daemon', 'start'], {env})).code).toBe(0)
    const input = prompt.replace('"cwd":""', `"cwd":${JSON.stringify(repoDir)}`)
    const run = await runHook(['session-start', '-H', 'codex'], {env, input})
    expect(run).toMatchObject({code: 0, stderr: ''})
    expect(JSON.parse(run.stdout).hookSpecificOutput.hookEventName).toBe('SessionStart')
  })
})
