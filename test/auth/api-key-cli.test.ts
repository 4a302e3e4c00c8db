import {writeFileSync} from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {initWorkspace} from '../../src/config/workspace.js'
import {freePort, runCli} from '../helpers/cli.js'
import {makeTempHome, type TempHome} from '../helpers/temp-home.js'

/**
 * End to end: the built CLI (bin/run.js → dist/) against a daemon it started, in `team` mode, so
 * every call below authenticates with the daemon's `.daemon/admin.token` and nothing else.
 */
let temp: TempHome
let env: NodeJS.ProcessEnv
let url: string

beforeAll(async () => {
  temp = makeTempHome()
  initWorkspace(temp.workspace)
  writeFileSync(path.join(temp.workspace, 'agent.yaml'), 'auth:\n  mode: team\n')
  env = {...temp.env, SIGNET_PORT: String(await freePort())}
  const start = await runCli(['daemon', 'start'], {env})
  expect(start.code, start.stderr).toBe(0)
  url = /at (http:\/\/\S+)/.exec(start.stdout)![1]
})

afterAll(async () => {
  await runCli(['daemon', 'stop'], {env})
  temp.cleanup()
})

async function whoami(key: string) {
  const response = await fetch(`${url}/api/auth/whoami`, {headers: {authorization: `Bearer ${key}`}})
  return {status: response.status, body: (await response.json()) as any}
}

describe('signet api-key (team mode, admin token from the workspace)', () => {
  it('without a key the daemon refuses everyone but the local CLI', async () => {
    expect((await fetch(`${url}/api/memories`)).status).toBe(401)
    const empty = await runCli(['api-key', 'list'], {env})
    expect(empty.code, empty.stderr).toBe(0)
    expect(empty.stdout.trim()).toBe('No API keys.')
  })

  it('create prints the stable block once; list, rotate and revoke work by id and prefix', async () => {
    const create = await runCli(['api-key', 'create', '--name', 'work laptop pi', '--connector', 'pi', '--agent-id', 'pi-work-laptop'], {env})
    expect(create.code, create.stderr).toBe(0)
    expect(create.stderr).toBe('')
    const block =
      /^API key created:\n\n {2}name: {6}work laptop pi\n {2}id: {8}(key_[\w-]{16})\n {2}prefix: {4}([0-9a-f]{12})\n {2}key: {7}(sig_sk_[0-9a-f]{12}_[\w-]{43})\n {2}role: {6}agent\n {2}connector: pi\n {2}agent: {5}pi-work-laptop\n\nSave this key now\. It will not be shown again\.\n$/
    const match = block.exec(create.stdout)
    expect(match, create.stdout).not.toBeNull()
    const [, id, prefix, key] = match!
    expect(key.startsWith(`sig_sk_${prefix}_`)).toBe(true)
    expect((await whoami(key)).body).toMatchObject({scope: {agent: 'pi-work-laptop'}, connector: 'pi', role: 'agent'})

    const list = await runCli(['api-key', 'list'], {env})
    expect(list.code).toBe(0)
    expect(list.stdout).toMatch(/^ID\s+PREFIX\s+STATUS\s+NAME\s+ROLE\s+CONNECTOR\s+AGENT\s+LAST USED$/m)
    expect(list.stdout).toMatch(new RegExp(`^${id}\\s+${prefix}\\s+active\\s+work laptop pi\\s+agent\\s+pi\\s+pi-work-laptop\\s+\\d{4}-\\d\\d-\\d\\dT`, 'm'))
    expect(list.stdout).not.toContain(key)

    const rotate = await runCli(['api-key', 'rotate', prefix], {env})
    expect(rotate.code, rotate.stderr).toBe(0)
    expect(rotate.stdout).toMatch(/^API key rotated:\n\n {2}name: {6}work laptop pi\n/)
    expect(rotate.stdout).toContain(`  replaces:  ${id} (revoked)`)
    const newKey = /key: {7}(sig_sk_\S+)/.exec(rotate.stdout)![1]
    const newId = /id: {8}(key_\S+)/.exec(rotate.stdout)![1]
    expect((await whoami(key)).body.error).toBe('api key revoked')
    expect((await whoami(newKey)).status).toBe(200)

    // A pasted raw key is reduced to its prefix before it leaves the CLI.
    const revoke = await runCli(['api-key', 'revoke', newKey], {env})
    expect(revoke.code, revoke.stderr).toBe(0)
    expect(revoke.stdout.trim()).toBe(`Revoked API key ${newId}`)
    expect((await whoami(newKey)).status).toBe(401)

    const listed = JSON.parse((await runCli(['api-key', 'list', '--json'], {env})).stdout)
    expect(listed.apiKeys.map((entry: {id: string; status: string}) => [entry.id, entry.status]).sort()).toEqual(
      [
        [id, 'revoked'],
        [newId, 'revoked'],
      ].sort(),
    )
    expect(JSON.stringify(listed)).not.toContain('sig_sk_')
  })

  it('--json prints {apiKey: {…record, key}} and nothing else', async () => {
    const create = await runCli(['api-key', 'create', '--name', 'reader', '--role', 'readonly', '--expires-at', '2099-01-01T00:00:00Z', '--json'], {env})
    expect(create.code, create.stderr).toBe(0)
    const {apiKey} = JSON.parse(create.stdout)
    expect(apiKey).toMatchObject({name: 'reader', role: 'readonly', connector: null, expiresAt: '2099-01-01T00:00:00.000Z', status: 'active'})
    expect(apiKey.key).toMatch(/^sig_sk_/)
    const revoke = JSON.parse((await runCli(['api-key', 'revoke', apiKey.id, '--json'], {env})).stdout)
    expect(revoke.apiKey).toMatchObject({id: apiKey.id, status: 'revoked'})
  })

  it('bad input and refusals are one red line and exit 1', async () => {
    const noName = await runCli(['api-key', 'create'], {env})
    expect(noName.code).toBe(1)
    expect(noName.stderr).toMatch(/name/)
    const badDate = await runCli(['api-key', 'create', '--name', 'x', '--expires-at', 'soon'], {env})
    expect(badDate.code).toBe(1)
    expect(badDate.stderr.trim()).toBe('Error: --expires-at "soon" is not a date — use ISO 8601, e.g. 2026-12-31T00:00:00Z')
    const unknown = await runCli(['api-key', 'revoke', 'key_AAAAAAAAAAAAAAAA'], {env})
    expect(unknown.code).toBe(1)
    expect(unknown.stderr.trim()).toMatch(/^Error: daemon refused the request \(404 not_found\): API key not found$/)

    // A valid agent key (from another machine's point of view) may not manage keys.
    const agent = JSON.parse((await runCli(['api-key', 'create', '--name', 'agent', '--agent-id', 'a1', '--json'], {env})).stdout).apiKey.key
    const asAgent = await runCli(['api-key', 'list'], {env: {...env, SIGNET_DAEMON_URL: url, SIGNET_API_KEY: agent}})
    expect(asAgent.code).toBe(1)
    expect(asAgent.stderr).toMatch(/403 permission_denied.*lacks the 'keys' permission/)
    // With an explicit URL the admin token is not sent, so no key at all is a 401 with a hint.
    const anonymous = await runCli(['api-key', 'list'], {env: {...env, SIGNET_DAEMON_URL: url}})
    expect(anonymous.code).toBe(1)
    expect(anonymous.stderr).toMatch(/401 auth_required.*SIGNET_API_KEY/)
    const badUrl = await runCli(['api-key', 'list'], {env: {...env, SIGNET_DAEMON_URL: `${url}/api`}})
    expect(badUrl.code).toBe(1)
    expect(badUrl.stderr).toMatch(/SIGNET_DAEMON_URL must be a bare origin/)
  })

  it('signet pair issues a one-time code that a remote claim exchanges for a scoped key', async () => {
    const pair = await runCli(['pair', '--connector', 'pi', '--agent-id', 'pi-laptop', '--ttl', '5m', '--json'], {env})
    expect(pair.code, pair.stderr).toBe(0)
    const issued = JSON.parse(pair.stdout)
    expect(issued).toMatchObject({connector: 'pi', agentId: 'pi-laptop', role: 'agent', ttlSeconds: 300})
    expect(issued.uri).toBe(`signet://connect?url=${encodeURIComponent(issued.connectUrl)}&code=${encodeURIComponent(issued.code)}`)
    const claim = await fetch(`${url}/api/auth/pair/claim`, {
      method: 'POST',
      headers: {'content-type': 'application/json'},
      body: JSON.stringify({code: issued.code}),
    })
    expect(claim.status).toBe(201)
    const {apiKey} = (await claim.json()) as {apiKey: {key: string}}
    expect((await whoami(apiKey.key)).body.scope).toEqual({agent: 'pi-laptop'})

    const human = await runCli(['pair', '--connector', 'codex', '--url', 'http://devbox.example:3850'], {env})
    expect(human.code, human.stderr).toBe(0)
    expect(human.stdout).toMatch(/^Pairing code: [2-9A-Z]{3}-[2-9A-Z]{3}$/m)
    expect(human.stdout).toMatch(/^Expires: +\S+ \(in 10m; works once\)$/m)
    expect(human.stdout).toContain('█') // the QR code
    expect(human.stdout).toMatch(/signet connect codex --url http:\/\/devbox\.example:3850 --pair-code [2-9A-Z]{3}-[2-9A-Z]{3}/)
    expect(human.stdout).toMatch(/^Daemon URL: +http:\/\/devbox\.example:3850 \(given with --url\)$/m)
    expect(issued).toMatchObject({chosenBecause: expect.any(String), candidates: expect.any(Array)})
    const badTtl = await runCli(['pair', '--ttl', 'forever'], {env})
    expect(badTtl.code).toBe(1)
    expect(badTtl.stderr).toMatch(/--ttl "forever" is not a duration/)
  })

  it('the created block names the agent and project only for a scoped key', async () => {
    // An unscoped key's block is exactly what it was before scope lines existed: no agent or project line.
    const unscoped = await runCli(['api-key', 'create', '--name', 'backup reader', '--role', 'readonly'], {env})
    expect(unscoped.stdout).toMatch(
      /^API key created:\n\n {2}name: {6}backup reader\n {2}id: {8}key_[\w-]{16}\n {2}prefix: {4}[0-9a-f]{12}\n {2}key: {7}sig_sk_[0-9a-f]{12}_[\w-]{43}\n {2}role: {6}readonly\n {2}connector: -\n\nSave this key now\. It will not be shown again\.\n$/,
    )
    const projectScoped = await runCli(['api-key', 'create', '--name', 'ci', '--project', 'github.com/acme/api', '--agent-id', 'ci-bot'], {env})
    expect(projectScoped.stdout).toContain('  connector: -\n  agent:     ci-bot\n  project:   github.com/acme/api\n\n')
  })

  it('daemon status --json reports bind, network mode and both auth modes', async () => {
    const status = JSON.parse((await runCli(['daemon', 'status', '--json'], {env})).stdout)
    expect(status).toMatchObject({running: true, bindHost: '127.0.0.1', networkMode: 'localhost', authMode: 'team', configuredAuthMode: 'team', memoryCount: 0})
  })
})
