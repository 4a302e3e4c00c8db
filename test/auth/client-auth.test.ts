import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {createServer, type IncomingHttpHeaders} from 'node:http'
import type {AddressInfo} from 'node:net'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {DaemonClient, DaemonRequestError} from '../../src/client/daemon-client.js'
import {createDaemonClient, resolveDaemonEndpoint} from '../../src/client/resolve-endpoint.js'
import {SIGNET_VERSION} from '../../src/version.js'
import {startTestDaemon, type TestDaemon} from '../helpers/daemon.js'
import {useTempHomeInProcess} from '../helpers/temp-home.js'

const ENV_KEYS = ['SIGNET_API_KEY', 'SIGNET_TOKEN', 'SIGNET_DAEMON_URL', 'SIGNET_PORT', 'XDG_CONFIG_HOME', 'HOME']
// No stored connection from the real user's config may leak into these tests.
const temp = useTempHomeInProcess(ENV_KEYS, {keychain: true})

describe('which key the client sends', () => {
  it('SIGNET_TOKEN is an alias of SIGNET_API_KEY; SIGNET_API_KEY wins', () => {
    process.env.SIGNET_TOKEN = 'sig_sk_token'
    expect(resolveDaemonEndpoint().apiKey).toBe('sig_sk_token')
    process.env.SIGNET_API_KEY = 'sig_sk_apikey'
    expect(resolveDaemonEndpoint().apiKey).toBe('sig_sk_apikey')
  })

  it('reaches the local daemon only through its socket: no admin token and no TCP dial, a key only if one is set', () => {
    const workspace = temp().workspace
    mkdirSync(path.join(workspace, '.daemon'), {recursive: true})
    writeFileSync(path.join(workspace, '.daemon/daemon.json'), JSON.stringify({url: 'http://127.0.0.1:45999', pid: process.pid}))
    writeFileSync(path.join(workspace, '.daemon/admin.token'), `sig_at_${'x'.repeat(43)}\n`, {mode: 0o600})
    const local = resolveDaemonEndpoint({workspace})
    expect(local).toMatchObject({url: 'http://127.0.0.1:45999', socketPath: path.join(workspace, '.daemon/signet.sock')})
    expect(local.apiKey).toBeUndefined()
    process.env.SIGNET_API_KEY = 'sig_sk_explicit'
    expect(resolveDaemonEndpoint({workspace})).toMatchObject({apiKey: 'sig_sk_explicit', socketPath: path.join(workspace, '.daemon/signet.sock')})
    delete process.env.SIGNET_API_KEY
    process.env.SIGNET_DAEMON_URL = 'http://192.0.2.10:3850'
    const remote = resolveDaemonEndpoint({workspace})
    expect(remote.apiKey).toBeUndefined()
    expect(remote.socketPath).toBeUndefined()
  })

  it('a workspace whose socket path is too long uses the admin token, only to its live recorded daemon', () => {
    const workspace = path.join(temp().home, 'a'.repeat(120))
    mkdirSync(path.join(workspace, '.daemon'), {recursive: true})
    writeFileSync(path.join(workspace, '.daemon/admin.token'), `sig_at_${'x'.repeat(43)}\n`, {mode: 0o600})
    writeFileSync(path.join(workspace, '.daemon/daemon.json'), JSON.stringify({url: 'http://127.0.0.1:45999', pid: process.pid}))
    expect(resolveDaemonEndpoint({workspace})).toMatchObject({url: 'http://127.0.0.1:45999', apiKey: `sig_at_${'x'.repeat(43)}`})
    expect(resolveDaemonEndpoint({workspace}).socketPath).toBeUndefined()
    // a dead daemon's port may be anyone's now: nothing is sent
    writeFileSync(path.join(workspace, '.daemon/daemon.json'), JSON.stringify({url: 'http://127.0.0.1:45999', pid: 2 ** 22 + 7}))
    const dead = resolveDaemonEndpoint({workspace})
    expect(dead.unreachable).toMatch(/not running/)
    expect(dead.apiKey).toBeUndefined()
  })

  it('SIGNET_DAEMON_URL with a path, query, fragment or credentials is refused with a clear message', () => {
    const cases: Array<[string, RegExp]> = [
      ['http://host:3850/api', /bare origin/],
      ['http://host:3850?x=1', /bare origin/],
      ['http://host:3850/#frag', /bare origin/],
      ['http://user:pass@host:3850', /must not contain credentials.*SIGNET_API_KEY/],
      ['ftp://host', /http or https/],
      ['not a url', /not a URL/],
    ]
    for (const [url, message] of cases) {
      process.env.SIGNET_DAEMON_URL = url
      expect(() => resolveDaemonEndpoint(), url).toThrow(message)
    }
    process.env.SIGNET_DAEMON_URL = 'https://devbox.tailnet.ts.net:3850/'
    expect(resolveDaemonEndpoint().url).toBe('https://devbox.tailnet.ts.net:3850')
  })
})

describe('what the client puts on the wire', () => {
  it('Authorization: Bearer, X-Signet-Harness and X-Signet-Connector-Version on every request', async () => {
    const seen: IncomingHttpHeaders[] = []
    const server = createServer((request, response) => {
      seen.push(request.headers)
      response.setHeader('content-type', 'application/json')
      response.end('{}')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      const client = new DaemonClient({url, apiKey: 'sig_sk_abc', harness: 'pi'})
      await client.get('/api/auth/whoami')
      await client.post('/api/memory/remember', {content: 'x'})
      expect(seen).toHaveLength(2)
      for (const headers of seen) {
        expect(headers.authorization).toBe('Bearer sig_sk_abc')
        expect(headers['x-signet-harness']).toBe('pi')
        expect(headers['x-signet-connector-version']).toBe(SIGNET_VERSION)
      }
    } finally {
      server.close()
    }
  })

  it('against a real team daemon: SIGNET_TOKEN authenticates, a revoked key gets the reason', async () => {
    let daemon: TestDaemon | undefined
    try {
      daemon = await startTestDaemon({agentYaml: 'auth:\n  mode: team\n'})
      const token = readFileSync(daemon.context.paths.adminTokenFile, 'utf8').trim()
      const admin = new DaemonClient({url: daemon.url, apiKey: token})
      const {apiKey} = await admin.post<{apiKey: {id: string; key: string}}>('/api/auth/api-keys', {name: 'token alias', agentId: 'alias-agent'})
      process.env.SIGNET_DAEMON_URL = daemon.url
      process.env.SIGNET_TOKEN = apiKey.key
      const client = createDaemonClient({harness: 'codex'})
      const whoami = await client.get<{scope: {agent: string}}>('/api/auth/whoami')
      expect(whoami.scope).toEqual({agent: 'alias-agent'})
      const written = await client.post<{memory: {harness: string; agentId: string}}>('/api/memory/remember', {content: 'harness provenance'})
      expect(written.memory).toMatchObject({harness: 'codex', agentId: 'alias-agent'})
      await admin.delete(`/api/auth/api-keys/${apiKey.id}`)
      const refused = await client.get('/api/auth/whoami').catch((error: unknown) => error)
      expect(refused).toBeInstanceOf(DaemonRequestError)
      expect(refused).toMatchObject({status: 401, daemonCode: 'api_key_revoked'})
      expect((refused as Error).message).toMatch(/api key revoked/)
    } finally {
      await daemon?.stop()
    }
  })
})

describe('what the client reads back', () => {
  it('stops reading an answer past its cap, chunked or not, and fails clearly', async () => {
    const server = createServer((_request, response) => {
      response.writeHead(200, {'content-type': 'application/json'}) // no Content-Length: chunked
      const piece = Buffer.alloc(64 * 1024, 'a')
      const pump = () => {
        while (!response.destroyed && response.write(piece));
        if (!response.destroyed) response.once('drain', pump)
      }
      pump()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const client = new DaemonClient({url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, maxResponseBytes: 1024 * 1024, timeoutMs: 10_000})
      const started = performance.now()
      const error = await client.get('/api/memories').catch((failure: unknown) => failure)
      expect(error).toMatchObject({daemonCode: 'response_too_large'})
      expect(performance.now() - started).toBeLessThan(5000)
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })

  it('a workspace socket with nothing behind it is "not running", and a silent daemon times out', async () => {
    const missing = new DaemonClient({url: 'http://127.0.0.1:3850', socketPath: path.join(temp().home, 'absent.sock')})
    await expect(missing.get('/api/status')).rejects.toMatchObject({
      code: 'daemon_unreachable',
      message: expect.stringMatching(/not running .*absent\.sock: ENOENT/),
    })
    const silent = createServer(() => undefined)
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    try {
      const client = new DaemonClient({url: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, timeoutMs: 300})
      await expect(client.get('/api/status')).rejects.toMatchObject({code: 'daemon_timeout', reason: 'timeout'})
    } finally {
      silent.closeAllConnections()
      silent.close()
    }
  })
})
