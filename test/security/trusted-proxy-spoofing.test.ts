import {readFileSync} from 'node:fs'
import {networkInterfaces} from 'node:os'

import {afterEach, describe, expect, it} from 'vitest'

import {classifyPeer} from '../../src/daemon/auth/authenticate.js'
import {startTestDaemon, type TestDaemon} from '../helpers/daemon.js'
import {httpRequest} from './support/http-request.js'
import {startReverseProxy} from './support/reverse-proxy.js'

/**
 * `auth.trustedProxies` (finding 6). The daemon cannot know which forwarding header the proxy in
 * front of it writes; the others arrive exactly as the client sent them. So a request through a
 * trusted proxy is local only if every forwarding header present names a loopback client — a proxy
 * that sets only Forwarded or only X-Real-IP must not let a client's own `X-Forwarded-For: 127.0.0.1`
 * make it local.
 */

const REMOTE = '198.51.100.7'
const TRUSTING_LOOPBACK = ['127.0.0.1', '::1']

const classify = (headers: Record<string, string>, peer = '127.0.0.1', trusted = TRUSTING_LOOPBACK) => classifyPeer(peer, new Headers(headers), trusted)

describe('classifyPeer: every forwarding header must agree before a request is local', () => {
  it.each([
    ['a Forwarded-only proxy, client adds X-Forwarded-For: 127.0.0.1', {forwarded: `for=${REMOTE}`, 'x-forwarded-for': '127.0.0.1'}],
    ['an X-Real-IP-only proxy, client adds X-Forwarded-For: 127.0.0.1', {'x-real-ip': REMOTE, 'x-forwarded-for': '127.0.0.1'}],
    ['an X-Forwarded-For proxy, client adds Forwarded: for=127.0.0.1', {'x-forwarded-for': `127.0.0.1, ${REMOTE}`, forwarded: 'for=127.0.0.1'}],
    ['an X-Forwarded-For proxy, client adds X-Real-IP: 127.0.0.1', {'x-forwarded-for': REMOTE, 'x-real-ip': '127.0.0.1'}],
    ['all three, one of them remote', {'x-forwarded-for': '127.0.0.1', forwarded: 'for=127.0.0.1', 'x-real-ip': REMOTE}],
  ])('%s → remote, limits and audit keyed on the remote client', (_label, headers) => {
    expect(classify(headers)).toEqual({remote: true, client: REMOTE})
  })

  it.each([
    ['X-Forwarded-For', {'x-forwarded-for': '127.0.0.1'}, '127.0.0.1'],
    ['Forwarded', {forwarded: 'for=127.0.0.1;proto=http'}, '127.0.0.1'],
    ['Forwarded, quoted IPv6 with a port', {forwarded: 'for="[::1]:52100"'}, '::1'],
    ['all three', {'x-forwarded-for': '127.0.0.1', forwarded: 'for=127.0.0.1', 'x-real-ip': '127.0.0.1'}, '127.0.0.1'],
    [
      'the client’s own earlier entries do not count, the proxy’s last one does',
      {'x-forwarded-for': `${REMOTE}, 127.0.0.1`, forwarded: `for=${REMOTE}, for=127.0.0.1`},
      '127.0.0.1',
    ],
  ])('all loopback through a trusted loopback proxy (%s) → local', (_label, headers, client) => {
    expect(classify(headers)).toEqual({remote: false, client})
  })

  it('headers that name nobody, or name someone unknown, are remote', () => {
    for (const headers of [
      {'x-real-ip': '127.0.0.1'}, // X-Real-IP alone: a proxy that adds nothing passes the client's through
      {forwarded: 'proto=https'}, // the proxy's element names no client
      {forwarded: 'for=unknown'},
      {forwarded: 'for=_hidden'},
      {'x-forwarded-for': ''},
      {'x-forwarded-for': '127.0.0.1', forwarded: ''},
      // A quoted comma does not start a new element: the last element names `_x, for=127.0.0.1`, not loopback.
      {forwarded: 'for="_x, for=127.0.0.1"'},
      {forwarded: `for=${REMOTE};by="127.0.0.1"`},
    ] as Record<string, string>[]) {
      expect(classify(headers).remote, JSON.stringify(headers)).toBe(true)
    }
  })

  it('only a listed loopback peer is believed at all', () => {
    const allLoopback = {'x-forwarded-for': '127.0.0.1', forwarded: 'for=127.0.0.1'}
    expect(classify(allLoopback, '127.0.0.1', [])).toEqual({remote: true, client: '127.0.0.1'})
    expect(classify(allLoopback, '10.0.0.5', ['10.0.0.5'])).toMatchObject({remote: true})
    expect(classify(allLoopback, '::ffff:127.0.0.1', ['127.0.0.1'])).toMatchObject({remote: false})
  })

  it('reads a hostile 1 MiB Forwarded header in linear time', () => {
    // Node caps request headers at 16 KiB; 1 MiB makes any super-linear parse obvious: a quadratic one
    // takes minutes here, a linear one a few milliseconds (the bound leaves room for a loaded machine).
    for (const hostile of [
      'for='.repeat(262_144),
      `"${'\\"'.repeat(349_525)}`,
      ';'.repeat(1 << 20),
      `for=${'['.repeat(1 << 20)}`,
      'a=b,'.repeat(262_144),
      `for="${'\\,'.repeat(349_525)}`,
      'for=a;'.repeat(174_762),
    ]) {
      const headers = new Headers({forwarded: hostile, 'x-forwarded-for': `127.0.0.1${','.repeat(1000)}`})
      const started = performance.now()
      expect(classifyPeer('127.0.0.1', headers, TRUSTING_LOOPBACK).remote).toBe(true)
      expect(performance.now() - started, hostile.slice(0, 20)).toBeLessThan(250)
    }
  })
})

/** This machine's own non-loopback IPv4 address: a real non-loopback client without leaving the box. */
function ownNonLoopbackAddress(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) if (address.family === 'IPv4' && !address.internal) return address.address
  }
  return undefined
}

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function hybridDaemonTrustingLoopback(): Promise<{daemon: TestDaemon; adminToken: string; agentKey: string}> {
  const daemon = await startTestDaemon({
    agentYaml: 'auth:\n  mode: hybrid\n  trustedProxies: ["127.0.0.1", "::1"]\n  rateLimits:\n    authFailures: {windowMs: 60000, max: 1000}\n',
  })
  cleanups.push(() => daemon.stop())
  const adminToken = readFileSync(daemon.context.paths.adminTokenFile, 'utf8').trim()
  const agentKey = (await daemon.context.storage.apiKeys.create({name: 'proxy test agent', role: 'agent', agentId: 'laptop'})).key
  return {daemon, adminToken, agentKey}
}

describe('a daemon trusting a same-host proxy (hybrid, trustedProxies: [127.0.0.1])', () => {
  // What the daemon receives from a trusted proxy that writes one header for a remote client who added its own.
  const spoofs = {
    'Forwarded-only proxy': {forwarded: `for=${REMOTE};proto=http`, 'x-forwarded-for': '127.0.0.1'},
    'X-Real-IP-only proxy': {'x-real-ip': REMOTE, 'x-forwarded-for': '127.0.0.1'},
  }

  it.each(Object.entries(spoofs))(
    '%s + client X-Forwarded-For: 127.0.0.1 → remote: no key is 401, the admin token is refused, a key is marked remote',
    async (_label, headers) => {
      const {daemon, adminToken, agentKey} = await hybridDaemonTrustingLoopback()
      const anonymous = await httpRequest(daemon.url, {path: '/api/memories', headers})
      expect(anonymous.status).toBe(401)
      const write = await httpRequest(daemon.url, {
        method: 'POST',
        path: '/api/memory/remember',
        headers: {...headers, 'content-type': 'application/json'},
        body: JSON.stringify({content: 'written by a spoofing client'}),
      })
      expect(write.status).toBe(401)
      expect(await daemon.context.storage.memories.count()).toBe(0)
      const token = await httpRequest(daemon.url, {path: '/api/auth/whoami', headers: {...headers, authorization: `Bearer ${adminToken}`}})
      expect(token.status).toBe(401)
      expect(token.json.code).toBe('admin_token_remote')
      const keyed = await httpRequest(daemon.url, {path: '/api/auth/whoami', headers: {...headers, authorization: `Bearer ${agentKey}`}})
      expect(keyed.json).toMatchObject({authenticated: true, remote: true})
      // The failures are on the remote client's account, not on 127.0.0.1's.
      const peers = (await daemon.context.storage.audit.list({event: 'auth_failed'})).map((entry) => entry.peer)
      expect(peers.length).toBeGreaterThan(0)
      expect(new Set(peers)).toEqual(new Set([REMOTE]))
    },
  )

  it('all forwarding headers loopback → local: the admin token works, a key is marked local', async () => {
    const {daemon, adminToken, agentKey} = await hybridDaemonTrustingLoopback()
    const headers = {'x-forwarded-for': '127.0.0.1', forwarded: 'for=127.0.0.1', 'x-real-ip': '127.0.0.1'}
    const token = await httpRequest(daemon.url, {path: '/api/auth/whoami', headers: {...headers, authorization: `Bearer ${adminToken}`}})
    expect(token.status).toBe(200)
    expect(token.json).toMatchObject({authenticated: true, role: 'admin', remote: false})
    const keyed = await httpRequest(daemon.url, {path: '/api/auth/whoami', headers: {...headers, authorization: `Bearer ${agentKey}`}})
    expect(keyed.json).toMatchObject({authenticated: true, remote: false})
  })

  it.for(['forwarded', 'x-real-ip'] as const)(
    'through a real %s-only proxy, a remote client’s X-Forwarded-For: 127.0.0.1 is not believed',
    async (style, context) => {
      const address = ownNonLoopbackAddress()
      if (!address) return context.skip('no non-loopback IPv4 address on this machine')
      const {daemon, adminToken} = await hybridDaemonTrustingLoopback()
      const proxy = await startReverseProxy(daemon.url, {style, listenHost: '0.0.0.0'})
      cleanups.push(() => proxy.close())
      const spoofed = await httpRequest(`http://${address}:${proxy.port}`, {path: '/api/memories', headers: {'x-forwarded-for': '127.0.0.1'}})
      expect(spoofed.status).toBe(401)
      const token = await httpRequest(`http://${address}:${proxy.port}`, {
        path: '/api/auth/whoami',
        headers: {'x-forwarded-for': '127.0.0.1', authorization: `Bearer ${adminToken}`},
      })
      expect(token.json.code).toBe('admin_token_remote')
    },
  )
})
