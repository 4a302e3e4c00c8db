import {readFileSync} from 'node:fs'
import {networkInterfaces} from 'node:os'

import {afterEach, describe, expect, it} from 'vitest'

import {startTestDaemon, type TestDaemon} from '../helpers/daemon.js'
import {httpRequest} from './support/http-request.js'
import {startReverseProxy, type ProxyStyle, type ReverseProxy} from './support/reverse-proxy.js'

/** This machine's own non-loopback IPv4 address: a real non-loopback TCP peer without leaving the box. */
function ownNonLoopbackAddress(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) if (address.family === 'IPv4' && !address.internal) return address.address
  }
  return undefined
}

/** Many refusals on purpose here: lift the failure rate limit so each one is a plain 401 (its 429 is tested elsewhere). */
const LIMITS = '  rateLimits:\n    authFailures: {windowMs: 60000, max: 1000}\n'
const agentYaml = (auth: string) => `version: 1\nagent:\n  name: trust\nauth:\n${auth}${LIMITS}`
const HYBRID = agentYaml('  mode: hybrid\n')
const HYBRID_TRUSTING_LOOPBACK_PROXY = agentYaml('  mode: hybrid\n  trustedProxies: ["127.0.0.1"]\n')

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function daemonWith(agentYaml: string, env: Record<string, string> = {}): Promise<TestDaemon> {
  const daemon = await startTestDaemon({agentYaml, env})
  cleanups.push(() => daemon.stop())
  return daemon
}

async function proxyTo(daemon: TestDaemon, style: ProxyStyle, listenHost?: string): Promise<ReverseProxy> {
  const proxy = await startReverseProxy(daemon.url, {style, listenHost})
  cleanups.push(() => proxy.close())
  return proxy
}

const memoryCount = (daemon: TestDaemon) => daemon.context.storage.memories.count()

describe('hybrid mode behind a same-host reverse proxy', () => {
  it.each(['x-forwarded-for', 'x-real-ip', 'forwarded'] as const)('a proxy that adds %s is not trusted as local', async (style) => {
    const daemon = await daemonWith(HYBRID)
    const proxy = await proxyTo(daemon, style)
    const viaProxy = `http://127.0.0.1:${proxy.port}`

    // Straight from loopback the admin token is the owner (no credential is nobody, even there)…
    const token = {authorization: `Bearer ${daemon.adminToken()}`}
    const direct = await httpRequest(daemon.url, {path: '/api/auth/whoami', headers: token})
    expect(direct.json).toMatchObject({kind: 'admin-token', role: 'admin', remote: false})
    expect((await httpRequest(daemon.url, {path: '/api/auth/whoami'})).json.code).toBe('auth_required')
    // …through the proxy the token is refused: the proxy speaks for someone else.
    expect((await httpRequest(viaProxy, {path: '/api/auth/whoami', headers: token})).json.code).toBe('admin_token_remote')
    // …and through the proxy they need a key, for reads, writes and key management alike.
    for (const [method, path, body] of [
      ['GET', '/api/auth/whoami', undefined],
      ['GET', '/api/memories', undefined],
      ['POST', '/api/memory/remember', JSON.stringify({content: 'written through an untrusted proxy'})],
      ['POST', '/api/auth/api-keys', JSON.stringify({name: 'proxy minted', role: 'admin'})],
      ['GET', '/api/status', undefined],
      ['POST', '/api/hooks/user-prompt-submit', JSON.stringify({harness: 'claude-code', prompt: 'what do you remember?'})],
      ['POST', '/api/sessions/search', JSON.stringify({query: 'deploy'})],
      ['POST', '/mcp', JSON.stringify({jsonrpc: '2.0', id: 1, method: 'tools/call', params: {name: 'memory_list', arguments: {}}})],
    ] as const) {
      const answer = await httpRequest(viaProxy, {
        method,
        path,
        body,
        headers: {'content-type': 'application/json', accept: 'application/json, text/event-stream'},
      })
      expect(answer.status, `${method} ${path} via ${style} proxy`).toBe(401)
      expect(answer.json.code).toBe('auth_required')
    }
    expect(await memoryCount(daemon)).toBe(0)
    expect((await daemon.request('GET', '/api/auth/api-keys')).body.apiKeys).toEqual([])
    // /health stays open and says nothing more through the proxy.
    const health = await httpRequest(viaProxy, {path: '/health'})
    expect(health.status).toBe(200)
    expect(Object.keys(health.json).sort()).toEqual(['status', 'uptime', 'version'])
  })

  it('a listed proxy is believed only about the client it appended: a remote client spoofing 127.0.0.1 still needs a key', async (context) => {
    const address = ownNonLoopbackAddress()
    if (!address) return context.skip('no non-loopback IPv4 address on this machine')
    const daemon = await daemonWith(HYBRID_TRUSTING_LOOPBACK_PROXY)
    const proxy = await proxyTo(daemon, 'x-forwarded-for', '0.0.0.0')
    const spoof = {'x-forwarded-for': '127.0.0.1', 'x-real-ip': '127.0.0.1', forwarded: 'for=127.0.0.1'}

    const token = {authorization: `Bearer ${daemon.adminToken()}`}
    const remote = await httpRequest(`http://${address}:${proxy.port}`, {path: '/api/memories', headers: {...spoof, ...token}})
    expect(remote.status).toBe(401)
    expect(remote.json.code).toBe('admin_token_remote')
    const local = await httpRequest(`http://127.0.0.1:${proxy.port}`, {path: '/api/auth/whoami', headers: token})
    expect(local.json).toMatchObject({kind: 'admin-token', remote: false})
    // Believed or not, a proxied caller without a credential is never the owner.
    expect((await httpRequest(`http://127.0.0.1:${proxy.port}`, {path: '/api/auth/whoami'})).status).toBe(401)
    // An unlisted loopback peer forwarding the same spoof is not believed either.
    const untrusted = await daemonWith(HYBRID)
    const direct = await httpRequest(untrusted.url, {path: '/api/memories', headers: spoof})
    expect(direct.status).toBe(401)
  })
})

describe('a listed proxy is believed only through the headers it appends to', () => {
  it('X-Real-IP: 127.0.0.1 passed through a listed proxy that adds nothing needs a key; X-Forwarded-For from the same proxy is believed', async (context) => {
    const address = ownNonLoopbackAddress()
    if (!address) return context.skip('no non-loopback IPv4 address on this machine')
    const daemon = await daemonWith(HYBRID_TRUSTING_LOOPBACK_PROXY)
    const passthrough = await proxyTo(daemon, 'passthrough', '0.0.0.0')
    const token = {authorization: `Bearer ${daemon.adminToken()}`}
    const spoofed = await httpRequest(`http://${address}:${passthrough.port}`, {path: '/api/memories', headers: {'x-real-ip': '127.0.0.1', ...token}})
    expect(spoofed.status).toBe(401)
    // A proxy that only overwrites X-Real-IP cannot be told apart from one that passes it through: the token is refused there.
    const realIpProxy = await proxyTo(daemon, 'x-real-ip')
    const viaRealIp = await httpRequest(`http://127.0.0.1:${realIpProxy.port}`, {path: '/api/auth/whoami', headers: token})
    expect(viaRealIp.status).toBe(401)
    const appending = await proxyTo(daemon, 'x-forwarded-for')
    const viaXff = await httpRequest(`http://127.0.0.1:${appending.port}`, {path: '/api/auth/whoami', headers: token})
    expect(viaXff.json).toMatchObject({kind: 'admin-token', remote: false})
  })
})

describe('the Host header never grants trust', () => {
  it('Host: localhost from a non-loopback peer (daemon bound to 0.0.0.0) needs a key; the same key works', async (context) => {
    const address = ownNonLoopbackAddress()
    if (!address) return context.skip('no non-loopback IPv4 address on this machine')
    // auth.mode local + a non-loopback bind is served as hybrid (SPEC §6.1).
    const daemon = await daemonWith(agentYaml('  mode: local\n'), {SIGNET_BIND: '0.0.0.0'})
    expect(daemon.context.listen.effectiveAuthMode).toBe('hybrid')
    const external = `http://${address}:${daemon.port}`
    for (const host of ['localhost', '127.0.0.1', `127.0.0.1:${daemon.port}`, '[::1]', `localhost:${daemon.port}`]) {
      for (const path of ['/api/auth/whoami', '/api/memories', '/api/status', '/api/auth/api-keys']) {
        const answer = await httpRequest(external, {path, headers: {host}})
        expect(answer.status, `${path} with Host: ${host} from ${address}`).toBe(401)
      }
    }
    const write = await httpRequest(external, {
      method: 'POST',
      path: '/api/memory/remember',
      headers: {host: 'localhost', 'content-type': 'application/json'},
      body: JSON.stringify({content: 'host header smuggled write'}),
    })
    expect(write.status).toBe(401)
    expect(await memoryCount(daemon)).toBe(0)

    // The admin token only works from this machine's loopback, whatever Host says.
    const adminToken = readFileSync(daemon.context.paths.adminTokenFile, 'utf8').trim()
    const remoteAdmin = await httpRequest(external, {path: '/api/auth/api-keys', headers: {host: 'localhost', authorization: `Bearer ${adminToken}`}})
    expect(remoteAdmin.status).toBe(401)
    expect(remoteAdmin.json.code).toBe('admin_token_remote')

    // Loopback without a credential is nobody too; the owner socket is the owner, and a key minted there works from the outside, marked remote.
    expect((await httpRequest(daemon.url, {path: '/api/auth/whoami'})).status).toBe(401)
    expect((await daemon.request('GET', '/api/auth/whoami')).body).toMatchObject({trustedLocal: true})
    const minted = await daemon.request('POST', '/api/auth/api-keys', {body: {name: 'laptop', role: 'agent', agentId: 'laptop'}})
    const key = minted.body.apiKey.key
    const who = await httpRequest(external, {path: '/api/auth/whoami', headers: {host: 'localhost', authorization: `Bearer ${key}`}})
    expect(who.json).toMatchObject({authenticated: true, remote: true, role: 'agent', scope: {agent: 'laptop'}})
  })

  it('team mode: loopback without a key is refused too; Host cannot help', async () => {
    const daemon = await daemonWith(agentYaml('  mode: team\n'))
    for (const host of ['localhost', '127.0.0.1']) {
      const answer = await httpRequest(daemon.url, {path: '/api/memories', headers: {host}})
      expect(answer.status).toBe(401)
    }
    expect((await httpRequest(daemon.url, {path: '/health'})).status).toBe(200)
  })
})
