import {execFileSync, spawn} from 'node:child_process'
import {readdirSync, readFileSync, statSync} from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {freePort, runCli} from '../helpers/cli.js'
import {startTestDaemon, type TestDaemon} from '../helpers/daemon.js'
import {makeTempHome, type TempHome} from '../helpers/temp-home.js'

/**
 * A harness machine (its own HOME) connecting to a daemon in `team` mode, through the real CLI:
 * refusals leave no trace, a good key lands only in the credential store, and the hook command
 * written into the harness config reaches the daemon with it.
 */

let daemon: TestDaemon
let harness: TempHome
let adminToken: string

function filesUnder(dir: string): string[] {
  const found: string[] = []
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name)
    if (statSync(full).isDirectory()) found.push(...filesUnder(full))
    else found.push(full)
  }
  return found
}

/**
 * Files a refused `connect` must not have written: everything under HOME except the CLI's V8 code
 * cache (~/.cache/signet/*.v8cache, bin/run.js), which any command writes on its first run.
 */
function harnessFilesWritten(): string[] {
  return filesUnder(harness.home).filter((file) => !/[/\\]\.cache[/\\]signet[/\\][^/\\]+\.v8cache$/.test(file))
}

/** Every file under HOME that contains `needle`. */
function filesContaining(needle: string): string[] {
  return filesUnder(harness.home)
    .filter((file) => readFileSync(file, 'utf8').includes(needle))
    .map((file) => path.relative(harness.home, file))
}

/** Run a harness hook command the way harnesses do: `sh -c`, JSON on stdin. */
function runShell(command: string, input: string): Promise<{status: number | null; stdout: string; stderr: string}> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], {env: harness.env, cwd: harness.home})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (status) => resolve({status, stdout, stderr}))
    child.stdin.end(input)
  })
}

async function createKey(body: Record<string, unknown>): Promise<string> {
  const response = await daemon.request('POST', '/api/auth/api-keys', {headers: {authorization: `Bearer ${adminToken}`}, body})
  expect(response.status).toBe(201)
  return response.body.apiKey.key
}

beforeAll(async () => {
  daemon = await startTestDaemon({agentYaml: 'auth:\n  mode: team\n'})
  adminToken = readFileSync(daemon.context.paths.adminTokenFile, 'utf8').trim()
  harness = makeTempHome('signet-harness-machine-')
  harness.env.SIGNET_NO_KEYCHAIN = '1'
})

afterAll(async () => {
  await daemon?.stop()
  harness?.cleanup()
})

describe('remote connector install', () => {
  it('refuses a bad key with a clear message and writes nothing', async () => {
    const bad = 'sig_sk_0123456789ab_' + 'A'.repeat(43)
    const result = await runCli(['connect', 'claude-code', '--url', daemon.url, '--api-key', bad, '--yes'], {env: harness.env})
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/rejected the API key \(401/)
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(harnessFilesWritten()).toEqual([])
  })

  it('refuses a missing key and an unreachable daemon', async () => {
    const noKey = await runCli(['connect', 'codex', '--url', daemon.url, '--yes'], {env: harness.env})
    expect(noKey.code).toBe(1)
    expect(noKey.stderr).toMatch(/needs an API key \(401\)/)
    const port = await freePort()
    const down = await runCli(['connect', 'codex', '--url', `http://127.0.0.1:${port}`, '--api-key', 'sig_sk_x', '--yes'], {env: harness.env})
    expect(down.code).toBe(1)
    expect(down.stderr).toMatch(/daemon not reachable at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/)
    const badUrl = await runCli(['connect', 'codex', '--url', `${daemon.url}/api`, '--api-key', 'sig_sk_x', '--yes'], {env: harness.env})
    expect(badUrl.stderr).toMatch(/bare origin/)
    expect(harnessFilesWritten()).toEqual([])
  })

  it('a good key (read from stdin) works, lands only in the credential store, and the installed hook uses it', async () => {
    const key = await createKey({name: 'laptop claude', connector: 'claude-code'})
    // a few unrelated memories too: BM25 needs a corpus to tell relevant from common terms
    for (const content of [
      'The staging database listens on port 5433, not 5432.',
      'Use pnpm, not npm, in the web repository.',
      'Deploys go out on Tuesdays after the standup.',
      'The CI runners have 2 cores and 24 GiB of memory.',
      'Alice owns the billing service.',
    ]) {
      const stored = await daemon.request('POST', '/api/memory/remember', {headers: {authorization: `Bearer ${adminToken}`}, body: {content}})
      expect(stored.status).toBe(201)
    }

    const result = await runCli(['connect', 'claude-code', '--url', daemon.url, '--api-key', '-', '--yes', '--json'], {env: harness.env, input: key + '\n'})
    expect(result.code).toBe(0)
    expect(result.stdout).not.toContain(key)
    const outcome = JSON.parse(result.stdout)
    expect(outcome.connection).toMatchObject({url: daemon.url, apiKeyStorage: 'file', paired: false, authenticatedAs: {name: 'laptop claude', role: 'agent'}})

    const credentials = path.join('.config', 'signet', 'credentials.json')
    expect(filesContaining(key)).toEqual([credentials])
    expect(statSync(path.join(harness.home, credentials)).mode & 0o777).toBe(0o600)

    // run the UserPromptSubmit command exactly as Claude Code would: through a shell, JSON on stdin
    const settings = JSON.parse(readFileSync(path.join(harness.home, '.claude', 'settings.json'), 'utf8'))
    const command: string = settings.hooks.UserPromptSubmit[0].hooks[0].command
    expect(command).not.toContain(key)
    // async: the daemon lives in this process and must keep answering while the hook runs
    const hook = await runShell(
      command,
      JSON.stringify({session_id: 'sess-1', cwd: harness.home, hook_event_name: 'UserPromptSubmit', prompt: 'which port does the staging database listen on?'}),
    )
    expect(hook.status).toBe(0)
    expect(hook.stderr).toBe('')
    const output = JSON.parse(hook.stdout)
    expect(output.hookSpecificOutput.hookEventName).toBe('UserPromptSubmit')
    expect(output.hookSpecificOutput.additionalContext).toContain('port 5433')

    const status = await runCli(['connector', 'status', 'claude-code', '--json'], {env: harness.env})
    expect(status.stderr).toBe('')
    expect(JSON.parse(status.stdout)).toMatchObject({state: 'installed', daemon: {url: daemon.url, reachable: true}})
    expect(filesContaining(key)).toEqual([credentials])
  })

  it('--pair-code claims a scoped key that is never shown and is stored like any other', async () => {
    const issued = await daemon.request('POST', '/api/auth/pair', {
      headers: {authorization: `Bearer ${adminToken}`},
      body: {connector: 'codex', agentId: 'codex-laptop'},
    })
    expect(issued.status).toBe(201)
    const result = await runCli(['connect', 'codex', '--url', daemon.url, '--pair-code', issued.body.code, '--yes'], {env: harness.env})
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/paired with http:\/\/127\.0\.0\.1:\d+ as codex on .+ \(agent\)/)
    expect(result.stdout).not.toMatch(/sig_sk_/)
    const credentials = JSON.parse(readFileSync(path.join(harness.home, '.config', 'signet', 'credentials.json'), 'utf8'))
    const codexKey = credentials.harnesses.codex.apiKey
    expect(codexKey).toMatch(/^sig_sk_[0-9a-f]{12}_/)
    expect(filesContaining(codexKey)).toEqual([path.join('.config', 'signet', 'credentials.json')])
    const whoami = await fetch(`${daemon.url}/api/auth/whoami`, {headers: {authorization: `Bearer ${codexKey}`}})
    expect(await whoami.json()).toMatchObject({scope: {agent: 'codex-laptop'}, connector: 'codex'})

    const reused = await runCli(['connect', 'codex', '--url', daemon.url, '--pair-code', issued.body.code, '--yes'], {env: harness.env})
    expect(reused.code).toBe(1)
    expect(reused.stderr).toMatch(/pairing code refused .*409/)
  })

  it("connector list sees both connectors; uninstall removes the harness files and only that harness's credentials", async () => {
    const list = await runCli(['connector', 'list', '--json'], {env: harness.env})
    const report = JSON.parse(list.stdout)
    expect(report.connectors.filter((c: {state: string}) => c.state === 'installed').map((c: {harness: string}) => c.harness)).toEqual(['claude-code', 'codex'])
    expect(report.daemon).toMatchObject({url: daemon.url, reachable: true})
    const removed = await runCli(['connector', 'uninstall', 'claude-code'], {env: harness.env})
    expect(removed.code).toBe(0)
    expect(removed.stdout).toMatch(/Claude Code connector removed/)
    expect(
      filesUnder(harness.home)
        .map((file) => path.relative(harness.home, file))
        .filter((file) => file.includes('claude')),
    ).toEqual([])
    const credentials = JSON.parse(readFileSync(path.join(harness.home, '.config', 'signet', 'credentials.json'), 'utf8'))
    expect(Object.keys(credentials.harnesses)).toEqual(['codex'])
    const again = await runCli(['connector', 'uninstall', 'claude-code'], {env: harness.env})
    expect(again.stdout).toMatch(/was not installed/)
  })

  it('the key never appears in harness configs or in the process list of hooks', () => {
    const key = JSON.parse(readFileSync(path.join(harness.home, '.config', 'signet', 'credentials.json'), 'utf8')).harnesses.codex.apiKey
    for (const file of ['.codex/hooks.json', '.codex/config.toml']) {
      expect(readFileSync(path.join(harness.home, file), 'utf8')).not.toContain('sig_sk_')
    }
    expect(
      execFileSync('grep', ['-rl', key, harness.home], {encoding: 'utf8'})
        .trim()
        .split('\n')
        .map((f) => path.relative(harness.home, f)),
    ).toEqual([path.join('.config', 'signet', 'credentials.json')])
  })
})
