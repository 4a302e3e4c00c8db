import {existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {createConnection, createServer} from 'node:net'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {Client} from '@modelcontextprotocol/sdk/client/index.js'
import {StdioClientTransport} from '@modelcontextprotocol/sdk/client/stdio.js'
import type {CallToolResult} from '@modelcontextprotocol/sdk/types.js'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {freePort, runCli} from '../helpers/cli.js'
import {startTestDaemon, storedRows, type TestDaemon} from '../helpers/daemon.js'
import {makeTempHome, type TempHome} from '../helpers/temp-home.js'

/**
 * One harness machine (its own HOME, no keychain) with several harnesses connected to a daemon in
 * `team` mode, each with its own key, through the real CLI and the real hook command. Every call
 * carries an explicit key: nothing here relies on the daemon trusting a local caller.
 */

// These spawn the compiled CLI and MCP server (dist/): run `npm run build` first.
const MCP_JS = fileURLToPath(new URL('../../bin/mcp.js', import.meta.url))

let daemon: TestDaemon
let harness: TempHome
let adminToken: string

const CREDENTIALS = () => path.join(harness.home, '.config', 'signet', 'credentials.json')
const readCredentials = () => JSON.parse(readFileSync(CREDENTIALS(), 'utf8'))

async function createKey(body: Record<string, unknown>): Promise<{key: string; id: string}> {
  const response = await daemon.request('POST', '/api/auth/api-keys', {headers: {authorization: `Bearer ${adminToken}`}, body})
  expect(response.status).toBe(201)
  return {key: response.body.apiKey.key, id: response.body.apiKey.id}
}

/** The prompt hook exactly as a harness runs it: JSON on stdin, credentials resolved by the hook. */
function promptHook(harnessId: string, prompt: string, env: NodeJS.ProcessEnv = harness.env) {
  return runCli(['hook', 'user-prompt-submit', '-H', harnessId], {
    env,
    input: JSON.stringify({
      session_id: `sess-${harnessId}-${Math.random().toString(36).slice(2)}`,
      cwd: harness.home,
      hook_event_name: 'UserPromptSubmit',
      prompt,
    }),
  })
}

beforeAll(async () => {
  daemon = await startTestDaemon({agentYaml: 'auth:\n  mode: team\n'})
  adminToken = readFileSync(daemon.context.paths.adminTokenFile, 'utf8').trim()
  harness = makeTempHome('signet-harness-creds-')
  harness.env.SIGNET_NO_KEYCHAIN = '1'
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
})

afterAll(async () => {
  await daemon?.stop()
  harness?.cleanup()
})

describe('credentials per harness', () => {
  let codexKey: {key: string; id: string}
  let piKey: {key: string; id: string}

  it('two harnesses connected with two keys: each keeps its own; revoking one leaves the other working', async () => {
    codexKey = await createKey({name: 'laptop codex', connector: 'codex'})
    piKey = await createKey({name: 'laptop pi', connector: 'pi'})
    const pi = await runCli(['connect', 'pi', '--url', daemon.url, '--api-key', '-', '--yes'], {env: harness.env, input: piKey.key})
    expect(pi.stderr).toBe('')
    expect(pi.code).toBe(0)
    const codex = await runCli(['connect', 'codex', '--url', daemon.url, '--api-key', '-', '--yes'], {env: harness.env, input: codexKey.key})
    expect(codex.stderr).toBe('')
    expect(codex.code).toBe(0)

    for (const id of ['codex', 'pi']) {
      const hook = await promptHook(id, 'which port does the staging database listen on?')
      expect(hook.stderr).toBe('')
      expect(hook.stdout).toContain('port 5433')
    }

    const revoked = await daemon.request('DELETE', `/api/auth/api-keys/${codexKey.id}`, {headers: {authorization: `Bearer ${adminToken}`}})
    expect(revoked.status).toBe(200)

    // pi still works with its own key…
    const piAfter = await promptHook('pi', 'which port does the staging database listen on?')
    expect(piAfter.stderr).toBe('')
    expect(piAfter.stdout).toContain('port 5433')
    // …and codex is refused, quietly for the harness (exit 0, nothing on stdout)
    const codexAfter = await promptHook('codex', 'which port does the staging database listen on?')
    expect(codexAfter.code).toBe(0)
    expect(codexAfter.stdout).toBe('')
    expect(codexAfter.stderr).toMatch(/401/)

    // connecting codex did not replace pi's key: each has an entry of its own, owner-only
    const stored = readCredentials()
    expect(stored.harnesses.pi).toMatchObject({daemonUrl: daemon.url, apiKeyStorage: 'file', apiKey: piKey.key})
    expect(stored.harnesses.codex).toMatchObject({daemonUrl: daemon.url, apiKeyStorage: 'file', apiKey: codexKey.key})
    expect(statSync(CREDENTIALS()).mode & 0o777).toBe(0o600)
  })

  it('connector status exits 1 when the harness is not connected (its key refused, or not installed), 0 when it is', async () => {
    const pi = await runCli(['connector', 'status', 'pi', '--json'], {env: harness.env})
    expect(pi.code, pi.stdout).toBe(0)
    expect(JSON.parse(pi.stdout)).toMatchObject({harness: 'pi', state: 'installed', connected: true, daemon: {url: daemon.url, reachable: true}})

    const codex = await runCli(['connector', 'status', 'codex', '--json'], {env: harness.env})
    expect(codex.code).toBe(1)
    expect(JSON.parse(codex.stdout)).toMatchObject({harness: 'codex', state: 'installed', connected: false, daemon: {reachable: false}})
    const codexText = await runCli(['connector', 'status', 'codex'], {env: harness.env})
    expect(codexText.code).toBe(1)
    expect(codexText.stdout).toMatch(/✗ daemon .*key was refused \(401/)

    const notInstalled = await runCli(['connector', 'status', 'opencode', '--json'], {env: harness.env})
    expect(notInstalled.code).toBe(1)
    expect(JSON.parse(notInstalled.stdout)).toMatchObject({state: 'not-installed', connected: false})
  })

  it("the MCP server started for a harness uses that harness's key", async () => {
    const env = Object.fromEntries(Object.entries(harness.env).filter((entry): entry is [string, string] => entry[1] !== undefined))
    const transport = new StdioClientTransport({command: process.execPath, args: [MCP_JS, '--harness', 'pi'], env, stderr: 'pipe'})
    const client = new Client({name: 'signet-test', version: '1.0.0'})
    await client.connect(transport)
    try {
      // codex's key (the most recently saved one) is revoked: this only works with pi's
      const found = await client.callTool({name: 'memory_search', arguments: {query: 'staging database port'}})
      expect(found.isError).toBeFalsy()
      expect(((found as CallToolResult).content[0] as {text: string}).text).toContain('port 5433')
    } finally {
      await client.close()
    }
  })

  it('a key made for another connector is refused unless --force, and then named in a warning', async () => {
    const other = await createKey({name: 'laptop pi 2', connector: 'pi'})
    const before = readFileSync(CREDENTIALS(), 'utf8')
    const refused = await runCli(['connect', 'gemini', '--url', daemon.url, '--api-key', '-', '--yes'], {env: harness.env, input: other.key})
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/the key "laptop pi 2" was made for the pi connector, not gemini .*--force/)
    expect(refused.stderr.trim().split('\n')).toHaveLength(1)
    // nothing written: no gemini settings, credentials untouched
    expect(existsSync(path.join(harness.home, '.gemini', 'settings.json'))).toBe(false)
    expect(readFileSync(CREDENTIALS(), 'utf8')).toBe(before)

    const forced = await runCli(['connect', 'gemini', '--url', daemon.url, '--api-key', '-', '--yes', '--force', '--json'], {
      env: harness.env,
      input: other.key,
    })
    expect(forced.code).toBe(0)
    expect(JSON.parse(forced.stdout).warnings).toContain('the key "laptop pi 2" was made for the pi connector, not gemini')
    const human = await runCli(['connect', 'gemini', '--url', daemon.url, '--api-key', '-', '--yes', '--force'], {env: harness.env, input: other.key})
    expect(human.stdout).toMatch(/! the key "laptop pi 2" was made for the pi connector, not gemini/)
  })

  it('a pairing code issued for another connector still connects (the code is spent), with the same warning', async () => {
    const issued = await daemon.request('POST', '/api/auth/pair', {headers: {authorization: `Bearer ${adminToken}`}, body: {connector: 'pi'}})
    expect(issued.status).toBe(201)
    const paired = await runCli(['connect', 'opencode', '--url', daemon.url, '--pair-code', issued.body.code, '--yes', '--json'], {env: harness.env})
    expect(paired.code, paired.stderr).toBe(0)
    expect(JSON.parse(paired.stdout).warnings).toEqual([expect.stringMatching(/was made for the pi connector, not opencode$/)])
    expect(readCredentials().harnesses.opencode.apiKey).toMatch(/^sig_sk_/)
  })

  it("connector uninstall forgets only that harness's key", async () => {
    const removed = await runCli(['connector', 'uninstall', 'codex'], {env: harness.env})
    expect(removed.code).toBe(0)
    expect(removed.stdout).toMatch(/forgot the codex connection/)
    const stored = readCredentials()
    expect(stored.harnesses.codex).toBeUndefined()
    expect(stored.harnesses.pi.apiKey).toBe(piKey.key)
    const pi = await promptHook('pi', 'which port does the staging database listen on?')
    expect(pi.stdout).toContain('port 5433')
  })

  it('a single-entry credentials file from an earlier version keeps working for every harness and is migrated', async () => {
    const machine = makeTempHome('signet-harness-legacy-')
    machine.env.SIGNET_NO_KEYCHAIN = '1'
    try {
      const key = await createKey({name: 'legacy machine'})
      const file = path.join(machine.home, '.config', 'signet', 'credentials.json')
      mkdirSync(path.dirname(file), {recursive: true, mode: 0o700})
      writeFileSync(file, JSON.stringify({version: 1, daemonUrl: daemon.url, apiKeyStorage: 'file', apiKey: key.key, savedAt: '2026-01-01T00:00:00.000Z'}), {
        mode: 0o600,
      })
      const hook = await promptHook('claude-code', 'which port does the staging database listen on?', machine.env)
      expect(hook.stderr).toBe('')
      expect(hook.stdout).toContain('port 5433')
      const migrated = JSON.parse(readFileSync(file, 'utf8'))
      expect(migrated).toMatchObject({version: 2, default: {daemonUrl: daemon.url, apiKey: key.key}, harnesses: {}})
      expect(statSync(file).mode & 0o777).toBe(0o600)
    } finally {
      machine.cleanup()
    }
  })
})

describe("spooled writes go with their own harness's key", () => {
  const cleanups: Array<() => Promise<void>> = []
  const onCleanup = (cleanup: () => Promise<void>) => cleanups.push(cleanup)
  it("a write spooled by one harness is delivered with that harness's key, by its own hook or by signet sync", async () => {
    const machine = makeTempHome('signet-harness-spool-')
    machine.env.SIGNET_NO_KEYCHAIN = '1'
    try {
      const claude = await createKey({name: 'spool claude', connector: 'claude-code', agentId: 'claude-agent'})
      const pi = await createKey({name: 'spool pi', connector: 'pi', agentId: 'pi-agent'})
      const file = path.join(machine.home, '.config', 'signet', 'credentials.json')
      const writeCredentials = (url: string) => {
        const entry = (apiKey: string) => ({daemonUrl: url, apiKeyStorage: 'file', apiKey, savedAt: new Date().toISOString()})
        mkdirSync(path.dirname(file), {recursive: true, mode: 0o700})
        writeFileSync(file, JSON.stringify({version: 2, harnesses: {'claude-code': entry(claude.key), pi: entry(pi.key)}}), {mode: 0o600})
      }
      const sessionEnd = (harnessId: string, sessionKey: string) =>
        runCli(['hook', 'session-end', '-H', harnessId], {
          env: machine.env,
          input: JSON.stringify({session_id: sessionKey, cwd: machine.home, transcript: `User: notes for ${sessionKey}\n\nAssistant: noted.`}),
        })
      const agentOf = async (sessionKey: string) =>
        (await storedRows(daemon, 'session_transcripts')).filter((row) => row.session_key === sessionKey).map((row) => row.agent_id)
      const pendingEntries = () => readdirSync(path.join(machine.home, '.config', 'signet', 'spool')).filter((name) => name.endsWith('.json'))

      // the daemon is unreachable at the saved URL: both harnesses' transcripts are spooled (each
      // entry remembers that URL and its key, and is only ever replayed there)
      const port = await freePort()
      writeCredentials(`http://127.0.0.1:${port}`)
      expect((await sessionEnd('claude-code', 'spool-claude')).stderr).toMatch(/saved to the local spool/)
      expect((await sessionEnd('pi', 'spool-pi')).stderr).toMatch(/saved to the local spool \(2 pending\)/)

      // back online at the same URL (a forwarder to the test daemon): pi's next hook delivers pi's write only, with pi's key
      const daemonPort = Number(new URL(daemon.url).port)
      const forwarder = createServer((socket) => socket.pipe(createConnection(daemonPort, '127.0.0.1')).pipe(socket))
      await new Promise<void>((resolve) => forwarder.listen(port, '127.0.0.1', resolve))
      onCleanup(() => new Promise<void>((resolve) => forwarder.close(() => resolve())))
      const piHook = await promptHook('pi', 'which port does the staging database listen on?', machine.env)
      expect(piHook.stderr).toBe('')
      expect(await agentOf('spool-pi')).toEqual(['pi-agent'])
      expect(await agentOf('spool-claude')).toEqual([])
      expect(pendingEntries()).toHaveLength(1)

      // signet sync delivers the rest, each with its own harness's key
      const sync = await runCli(['sync', '--json'], {env: machine.env})
      expect(sync.code, sync.stderr).toBe(0)
      expect(JSON.parse(sync.stdout)).toMatchObject({delivered: 1, remaining: 0})
      expect(await agentOf('spool-claude')).toEqual(['claude-agent'])
    } finally {
      for (const cleanup of cleanups.splice(0)) await cleanup()
      machine.cleanup()
    }
  })
})
