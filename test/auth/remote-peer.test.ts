import {readFileSync} from 'node:fs'
import {networkInterfaces} from 'node:os'

import {afterEach, describe, expect, it} from 'vitest'

import {startTestDaemon, type TestDaemon} from '../helpers/daemon.js'

/**
 * Real remote callers: the daemon binds 0.0.0.0 and the test dials this machine's own
 * non-loopback address, so the TCP peer the daemon sees is not 127.0.0.1 (issue #1049's setup).
 */
const externalAddress = Object.values(networkInterfaces())
  .flat()
  .find((entry) => entry && entry.family === 'IPv4' && !entry.internal)?.address

let daemon: TestDaemon | undefined

afterEach(async () => {
  await daemon?.stop()
  daemon = undefined
})

async function call(url: string, path: string, options: {method?: string; key?: string; body?: unknown} = {}) {
  const headers: Record<string, string> = {}
  if (options.key) headers.authorization = `Bearer ${options.key}`
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(`${url}${path}`, {
    method: options.method ?? 'GET',
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  })
  return {status: response.status, body: (await response.json()) as any}
}

describe('network modes', () => {
  it('tailscale + auth.mode local binds 0.0.0.0 and serves as hybrid, loudly', async () => {
    daemon = await startTestDaemon({agentYaml: 'network:\n  mode: tailscale\nauth:\n  mode: local\n'})
    const status = await daemon.request('GET', '/api/status')
    expect(status.body).toMatchObject({bindHost: '0.0.0.0', networkMode: 'tailscale', authMode: 'hybrid', configuredAuthMode: 'local'})
    expect(status.body.authModeWarning).toMatch(/serving in "hybrid" mode/)
    expect(readFileSync(daemon.context.paths.logFile, 'utf8')).toMatch(/WARN .*auth\.mode is "local" but the daemon binds 0\.0\.0\.0/)
  })

  it('SIGNET_BIND and SIGNET_PORT override agent.yaml', async () => {
    daemon = await startTestDaemon({agentYaml: 'network:\n  mode: tailscale\n', env: {SIGNET_BIND: '127.0.0.1'}})
    const status = await daemon.request('GET', '/api/status')
    expect(status.body).toMatchObject({bindHost: '127.0.0.1', networkMode: 'localhost', authMode: 'local'})
  })
})

describe.skipIf(!externalAddress)(`a real remote peer (${externalAddress ?? 'no external address'})`, () => {
  it('hybrid: no key → 401; scoped key → 200 with its scope; other agent → 403; revoked → 401', async () => {
    daemon = await startTestDaemon({agentYaml: 'network:\n  mode: tailscale\nauth:\n  mode: hybrid\n'})
    const remoteUrl = `http://${externalAddress}:${daemon.port}`
    const anonymous = await call(remoteUrl, '/api/auth/whoami')
    expect(anonymous.status).toBe(401)
    expect(anonymous.body.code).toBe('auth_required')
    expect((await call(remoteUrl, '/health')).status).toBe(200)

    const created = await daemon.request('POST', '/api/auth/api-keys', {body: {name: 'work laptop pi', connector: 'pi', agentId: 'pi-work-laptop'}})
    const key = created.body.apiKey.key as string
    const whoami = await call(remoteUrl, '/api/auth/whoami', {key})
    expect(whoami.status).toBe(200)
    expect(whoami.body).toMatchObject({authenticated: true, remote: true, scope: {agent: 'pi-work-laptop'}, authMode: 'hybrid'})

    const own = await call(remoteUrl, '/api/memory/remember', {method: 'POST', key, body: {content: 'from the laptop'}})
    expect(own.status).toBe(201)
    expect(own.body.memory.agentId).toBe('pi-work-laptop')
    const other = await call(remoteUrl, '/api/memories?agentId=someone-else', {key})
    expect(other.status).toBe(403)
    expect(other.body.code).toBe('scope_violation')
    // Key management is admin-only, even for a valid agent key.
    expect((await call(remoteUrl, '/api/auth/api-keys', {key})).status).toBe(403)

    await daemon.request('DELETE', `/api/auth/api-keys/${created.body.apiKey.id}`)
    const revoked = await call(remoteUrl, '/api/auth/whoami', {key})
    expect(revoked.status).toBe(401)
    expect(revoked.body.error).toBe('api key revoked')
  })

  it('local mode on a 0.0.0.0 bind never serves a remote caller without a key (#1049)', async () => {
    daemon = await startTestDaemon({agentYaml: 'network:\n  mode: tailscale\n'})
    const remoteUrl = `http://${externalAddress}:${daemon.port}`
    for (const path of ['/api/memories', '/api/status', '/api/auth/api-keys', '/api/auth/whoami']) {
      expect((await call(remoteUrl, path)).status, path).toBe(401)
    }
    const created = await call(remoteUrl, '/api/auth/api-keys', {method: 'POST', body: {name: 'sneaky', role: 'admin'}})
    expect(created.status).toBe(401)
    // The same daemon still trusts this machine's loopback callers.
    expect((await daemon.request('GET', '/api/memories')).status).toBe(200)
  })

  it('team: the admin token is refused from a remote address', async () => {
    daemon = await startTestDaemon({agentYaml: 'network:\n  mode: tailscale\nauth:\n  mode: team\n'})
    const token = readFileSync(daemon.context.paths.adminTokenFile, 'utf8').trim()
    const remote = await call(`http://${externalAddress}:${daemon.port}`, '/api/auth/whoami', {key: token})
    expect(remote.status).toBe(401)
    expect(remote.body.code).toBe('admin_token_remote')
    expect((await daemon.request('GET', '/api/auth/whoami', {headers: {authorization: `Bearer ${token}`}})).status).toBe(200)
  })
})
