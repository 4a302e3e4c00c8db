import {readFileSync} from 'node:fs'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {createApp} from '../../src/daemon/app.js'
import {ROLE_PERMISSIONS, type Permission} from '../../src/daemon/auth/principal.js'
import {DASHBOARD_OPEN_ROUTES} from '../../src/daemon/routes/dashboard.js'
import {generateApiKey} from '../../src/store/api-keys.js'
import {startTestDaemon, type TestDaemon} from '../helpers/daemon.js'

/**
 * Every route × every auth mode × every way in × every kind of credential → the exact status (SPEC §6, §14).
 * "local", "hybrid-local" and "team" are loopback TCP peers; "hybrid-remote" is a loopback peer that
 * forwards for someone else (X-Forwarded-For), which the daemon must treat as remote;
 * remote-peer.test.ts repeats the key cases from a real non-loopback address. The "-socket" rows
 * come in on the daemon's owner socket in `.daemon/`: the only way in that needs no credential.
 */

type ModeName = 'local' | 'hybrid-local' | 'hybrid-remote' | 'team' | 'local-socket' | 'hybrid-socket' | 'team-socket'
type Credential = 'none' | 'malformed' | 'wrong' | 'revoked' | 'expired' | 'readonly' | 'otherAgent' | 'agent' | 'admin'

const MODES: ModeName[] = ['local', 'hybrid-local', 'hybrid-remote', 'team', 'local-socket', 'hybrid-socket', 'team-socket']
const onSocket = (mode: ModeName) => mode.endsWith('-socket')
const CREDENTIALS: Credential[] = ['none', 'malformed', 'wrong', 'revoked', 'expired', 'readonly', 'otherAgent', 'agent', 'admin']
const SCOPED_AGENT = 'alpha'
const OTHER_AGENT = 'beta'

interface Target {
  daemon: TestDaemon
  adminToken: string
  keys: Record<'revoked' | 'expired' | 'readonly' | 'agent' | 'admin', string>
  /** Setup calls: the local admin token from loopback works in every mode. */
  setup(method: string, path: string, body?: unknown): Promise<any>
}

interface RouteCase {
  method: string
  path: string
  /** Permission the route needs; null = any authenticated caller; 'open' = no auth at all. */
  permission: Permission | null | 'open'
  /** Takes an agentId and must refuse one outside the key's scope. */
  agentScoped: boolean
  ok: number
  build(target: Target, agent: string): Promise<{path: string; body?: unknown}>
}

let memorySeq = 0
async function memoryFor(target: Target, agent: string): Promise<string> {
  const created = await target.setup('POST', '/api/memory/remember', {content: `matrix fixture ${++memorySeq} ${Math.random()}`, agentId: agent})
  return created.id as string
}

async function throwawayKey(target: Target): Promise<string> {
  const created = await target.setup('POST', '/api/auth/api-keys', {name: `throwaway ${Math.random()}`})
  return created.apiKey.id as string
}

function hookBody(event: string, agent: string): Record<string, unknown> {
  const sessionKey = `matrix-${event}-${++memorySeq}`
  const common = {harness: 'pi', agentId: agent, sessionKey}
  if (event === 'user-prompt-submit') return {...common, prompt: 'what about the matrix fixture?'}
  if (event === 'compaction-complete') return {...common, summary: `matrix summary ${memorySeq} ${Math.random()}`}
  return common
}

/** A session of `agent` with a stored transcript, written by the session's own hooks. */
async function sessionFor(target: Target, agent: string): Promise<string> {
  const sessionKey = `matrix-session-${++memorySeq}`
  await target.setup('POST', '/api/hooks/session-start', {harness: 'pi', agentId: agent, sessionKey})
  await target.setup('POST', '/api/hooks/pre-compaction', {harness: 'pi', agentId: agent, sessionKey, transcript: 'user: matrix transcript line'})
  return sessionKey
}

const KNOWN_ROUTES: RouteCase[] = [
  {method: 'GET', path: '/health', permission: 'open', agentScoped: false, ok: 200, build: async () => ({path: '/health'})},
  {method: 'GET', path: '/api/status', permission: null, agentScoped: false, ok: 200, build: async () => ({path: '/api/status'})},
  {method: 'GET', path: '/api/auth/whoami', permission: null, agentScoped: false, ok: 200, build: async () => ({path: '/api/auth/whoami'})},
  {method: 'GET', path: '/api/auth/api-keys', permission: 'keys', agentScoped: false, ok: 200, build: async () => ({path: '/api/auth/api-keys'})},
  {
    method: 'POST',
    path: '/api/auth/api-keys',
    permission: 'keys',
    agentScoped: false,
    ok: 201,
    build: async () => ({path: '/api/auth/api-keys', body: {name: 'matrix'}}),
  },
  {
    method: 'DELETE',
    path: '/api/auth/api-keys/:idOrPrefix',
    permission: 'keys',
    agentScoped: false,
    ok: 200,
    build: async (target) => ({path: `/api/auth/api-keys/${await throwawayKey(target)}`}),
  },
  {
    method: 'POST',
    path: '/api/auth/api-keys/:idOrPrefix/rotate',
    permission: 'keys',
    agentScoped: false,
    ok: 201,
    build: async (target) => ({path: `/api/auth/api-keys/${await throwawayKey(target)}/rotate`, body: {}}),
  },
  {method: 'GET', path: '/api/auth/audit', permission: 'keys', agentScoped: false, ok: 200, build: async () => ({path: '/api/auth/audit?limit=5'})},
  {
    method: 'POST',
    path: '/api/auth/pair',
    permission: 'keys',
    agentScoped: false,
    ok: 201,
    build: async () => ({path: '/api/auth/pair', body: {connector: 'pi', agentId: 'paired', ttlSeconds: 60}}),
  },
  {
    method: 'POST',
    path: '/api/memory/remember',
    permission: 'remember',
    agentScoped: true,
    ok: 201,
    build: async (_target, agent) => ({path: '/api/memory/remember', body: {content: `matrix write ${++memorySeq} ${Math.random()}`, agentId: agent}}),
  },
  {
    method: 'POST',
    path: '/api/memory/import',
    permission: 'remember',
    agentScoped: true,
    ok: 200,
    build: async (_target, agent) => ({
      path: '/api/memory/import',
      body: {memories: [{content: `matrix import ${++memorySeq} ${Math.random()}`}], agentId: agent},
    }),
  },
  {
    method: 'POST',
    path: '/api/memory/recall',
    permission: 'recall',
    agentScoped: true,
    ok: 200,
    build: async (_target, agent) => ({path: '/api/memory/recall', body: {query: 'matrix fixture', agentId: agent}}),
  },
  {
    method: 'GET',
    path: '/api/memories',
    permission: 'recall',
    agentScoped: true,
    ok: 200,
    build: async (_target, agent) => ({path: `/api/memories?agentId=${agent}`}),
  },
  {
    method: 'GET',
    path: '/api/memory/:id',
    permission: 'recall',
    agentScoped: true,
    ok: 200,
    build: async (target, agent) => ({path: `/api/memory/${await memoryFor(target, SCOPED_AGENT)}?agentId=${agent}`}),
  },
  {
    method: 'PATCH',
    path: '/api/memory/:id',
    permission: 'modify',
    agentScoped: true,
    ok: 200,
    build: async (target, agent) => ({path: `/api/memory/${await memoryFor(target, SCOPED_AGENT)}?agentId=${agent}`, body: {importance: 0.9}}),
  },
  {
    method: 'DELETE',
    path: '/api/memory/:id',
    permission: 'forget',
    agentScoped: true,
    ok: 200,
    build: async (target, agent) => ({path: `/api/memory/${await memoryFor(target, SCOPED_AGENT)}?agentId=${agent}`}),
  },
  // Hooks, sessions and harnesses (SPEC §7, §5): the same scope rules as memory.
  ...(['session-start', 'user-prompt-submit', 'pre-compaction', 'compaction-complete', 'session-end'] as const).map((event): RouteCase => ({
    method: 'POST',
    path: `/api/hooks/${event}`,
    permission: 'hooks',
    agentScoped: true,
    ok: 200,
    build: async (_target, agent) => ({path: `/api/hooks/${event}`, body: hookBody(event, agent)}),
  })),
  {
    method: 'POST',
    path: '/api/sessions/search',
    permission: 'sessions',
    agentScoped: true,
    ok: 200,
    build: async (_target, agent) => ({path: '/api/sessions/search', body: {query: 'matrix transcript', agentId: agent}}),
  },
  {
    method: 'GET',
    path: '/api/sessions',
    permission: 'sessions',
    agentScoped: true,
    ok: 200,
    build: async (_target, agent) => ({path: `/api/sessions?agentId=${agent}`}),
  },
  {
    method: 'GET',
    path: '/api/sessions/:key',
    permission: 'sessions',
    agentScoped: true,
    ok: 200,
    build: async (target, agent) => ({path: `/api/sessions/${await sessionFor(target, SCOPED_AGENT)}?agentId=${agent}`}),
  },
  {
    method: 'GET',
    path: '/api/sessions/:key/transcript',
    permission: 'sessions',
    agentScoped: true,
    ok: 200,
    build: async (target, agent) => ({path: `/api/sessions/${await sessionFor(target, SCOPED_AGENT)}/transcript?agentId=${agent}`}),
  },
  // The agent network: a scoped key acts (sends, reads, acks, follows) only as its own agent.
  {method: 'GET', path: '/api/agents/peers', permission: 'messages', agentScoped: false, ok: 200, build: async () => ({path: '/api/agents/peers'})},
  {
    method: 'POST',
    path: '/api/agents/messages',
    permission: 'messages',
    agentScoped: true,
    ok: 201,
    build: async (_target, agent) => ({path: '/api/agents/messages', body: {to: 'gamma', body: `matrix message ${++memorySeq}`, agentId: agent}}),
  },
  {
    method: 'GET',
    path: '/api/agents/inbox',
    permission: 'messages',
    agentScoped: true,
    ok: 200,
    build: async (_target, agent) => ({path: `/api/agents/inbox?agentId=${agent}`}),
  },
  {
    method: 'POST',
    path: '/api/agents/messages/:id/ack',
    permission: 'messages',
    agentScoped: true,
    ok: 200,
    build: async (target, agent) => {
      const sent = await target.setup('POST', '/api/agents/messages', {to: SCOPED_AGENT, body: `matrix ack ${++memorySeq}`, agentId: 'matrix-sender'})
      return {path: `/api/agents/messages/${sent.message.id}/ack`, body: {agentId: agent}}
    },
  },
  {
    method: 'GET',
    path: '/api/agents/stream',
    permission: 'messages',
    agentScoped: true,
    ok: 200,
    build: async (_target, agent) => ({path: `/api/agents/stream?follow=false&agentId=${agent}&lastEventId=0`}),
  },
  {method: 'GET', path: '/api/harnesses', permission: 'harnesses', agentScoped: false, ok: 200, build: async () => ({path: '/api/harnesses'})},
  {
    method: 'POST',
    path: '/api/harnesses/regenerate',
    permission: 'harnesses',
    agentScoped: false,
    ok: 200,
    build: async () => ({path: '/api/harnesses/regenerate', body: {}}),
  },
]

const FAILURE_CODE: Partial<Record<Credential, string>> = {
  none: 'auth_required',
  malformed: 'malformed_api_key',
  wrong: 'invalid_api_key',
  revoked: 'api_key_revoked',
  expired: 'api_key_expired',
}

/** The contract, written out once: what each credential gets on each route in each mode. */
function expected(route: RouteCase, mode: ModeName, credential: Credential): string {
  if (route.permission === 'open') return String(route.ok)
  const allows = (role: 'readonly' | 'agent') => route.permission === null || ROLE_PERMISSIONS[role].includes(route.permission as Permission)
  switch (credential) {
    case 'none':
      // A TCP peer without a credential is never the owner, even from loopback and in local mode.
      return onSocket(mode) ? String(route.ok) : '401 auth_required'
    case 'malformed':
    case 'wrong':
    case 'revoked':
    case 'expired':
      return `401 ${FAILURE_CODE[credential]}`
    case 'admin':
      return String(route.ok)
    case 'readonly':
      return allows('readonly') ? String(route.ok) : '403 permission_denied'
    case 'agent':
      return allows('agent') ? String(route.ok) : '403 permission_denied'
    case 'otherAgent':
      if (!allows('agent')) return '403 permission_denied'
      return route.agentScoped ? '403 scope_violation' : String(route.ok)
  }
}

function bearer(target: Target, credential: Credential): string | undefined {
  switch (credential) {
    case 'none':
      return undefined
    case 'malformed':
      return 'sig_sk_not-a-key'
    case 'wrong':
      return generateApiKey().key
    case 'otherAgent':
      return target.keys.agent
    default:
      return target.keys[credential]
  }
}

function headersFor(mode: ModeName, key: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {}
  if (key) headers.authorization = `Bearer ${key}`
  if (mode === 'hybrid-remote') headers['x-forwarded-for'] = '203.0.113.9'
  return headers
}

async function prepare(authMode: 'local' | 'hybrid' | 'team'): Promise<Target> {
  // Hundreds of deliberate failures from 127.0.0.1: keep the failure limit out of this test's way.
  const daemon = await startTestDaemon({
    agentYaml: `auth:\n  mode: ${authMode}\n  rateLimits:\n    authFailures: {windowMs: 60000, max: 100000}\n`,
  })
  const adminToken = readFileSync(daemon.context.paths.adminTokenFile, 'utf8').trim()
  const setup = async (method: string, path: string, body?: unknown) => {
    const response = await daemon.request(method, path, {body, headers: {authorization: `Bearer ${adminToken}`}})
    if (response.status >= 300) throw new Error(`setup ${method} ${path} → ${response.status} ${JSON.stringify(response.body)}`)
    return response.body
  }
  const create = async (body: Record<string, unknown>) => (await setup('POST', '/api/auth/api-keys', body)).apiKey as {id: string; key: string}
  const admin = await create({name: 'matrix admin', role: 'admin'})
  const readonly = await create({name: 'matrix readonly', role: 'readonly'})
  const agent = await create({name: 'matrix agent', role: 'agent', connector: 'pi', agentId: SCOPED_AGENT})
  const revoked = await create({name: 'matrix revoked', role: 'admin'})
  await setup('DELETE', `/api/auth/api-keys/${revoked.id}`)
  // The API refuses a past expiry, so write the expired key through the store the daemon uses.
  const expired = await daemon.context.storage.apiKeys.create({name: 'matrix expired', role: 'admin', expiresAt: new Date(Date.now() - 60_000).toISOString()})
  return {daemon, adminToken, setup, keys: {admin: admin.key, readonly: readonly.key, agent: agent.key, revoked: revoked.key, expired: expired.key}}
}

const targets: Partial<Record<'local' | 'hybrid' | 'team', Target>> = {}
const targetFor = (mode: ModeName): Target => targets[mode.startsWith('local') ? 'local' : mode.startsWith('team') ? 'team' : 'hybrid']!
const via = (mode: ModeName) => (onSocket(mode) ? 'socket' : 'tcp') as 'socket' | 'tcp'

beforeAll(async () => {
  targets.local = await prepare('local')
  targets.hybrid = await prepare('hybrid')
  targets.team = await prepare('team')
})

afterAll(async () => {
  for (const target of Object.values(targets)) await target?.daemon.stop()
})

async function statusOf(target: Target, mode: ModeName, route: RouteCase, credential: Credential): Promise<string> {
  const agent = credential === 'otherAgent' ? OTHER_AGENT : SCOPED_AGENT
  const request = await route.build(target, agent)
  const response = await target.daemon.request(route.method, request.path, {
    body: request.body,
    headers: headersFor(mode, bearer(target, credential)),
    via: via(mode),
  })
  if (response.status === 401 || response.status === 403) return `${response.status} ${response.body?.code}`
  return String(response.status)
}

describe('auth matrix: known routes', () => {
  it.each(MODES)('%s: every route answers every credential exactly as the contract says', async (mode) => {
    const target = targetFor(mode)
    const actual: Record<string, Record<string, string>> = {}
    const wanted: Record<string, Record<string, string>> = {}
    for (const route of KNOWN_ROUTES) {
      const label = `${route.method} ${route.path}`
      actual[label] = {}
      wanted[label] = {}
      for (const credential of CREDENTIALS) {
        actual[label][credential] = await statusOf(target, mode, route, credential)
        wanted[label][credential] = expected(route, mode, credential)
      }
    }
    expect(actual).toEqual(wanted)
  })
})

describe('auth matrix: every other route (hooks, sessions, MCP, …) refuses bad or missing credentials', () => {
  it.each(MODES)('%s', async (mode) => {
    const target = targetFor(mode)
    // The dashboard's page, files and login links hold no data and are open by design (test/security/dashboard-devices.test.ts).
    const known = new Set([...KNOWN_ROUTES.map((route) => `${route.method} ${route.path}`), 'POST /api/auth/pair/claim', ...DASHBOARD_OPEN_ROUTES])
    const others = createApp(target.daemon.context)
      .routes.filter((route) => route.path !== '/*' && !known.has(`${route.method} ${route.path}`))
      .map((route) => ({method: route.method === 'ALL' ? 'POST' : route.method, path: route.path.replace(/:(\w+)/g, 'x')}))
    const actual: Record<string, Record<string, string>> = {}
    const wanted: Record<string, Record<string, string>> = {}
    for (const route of others) {
      const label = `${route.method} ${route.path}`
      actual[label] = {}
      wanted[label] = {}
      for (const credential of ['none', 'malformed', 'wrong', 'revoked', 'expired', 'admin'] as Credential[]) {
        const body = route.method === 'GET' || route.method === 'HEAD' ? undefined : {}
        const response = await target.daemon.request(route.method, route.path, {body, headers: headersFor(mode, bearer(target, credential)), via: via(mode)})
        const refused = response.status === 401 ? `401 ${response.body?.code}` : response.status === 403 ? '403' : 'passed auth'
        actual[label][credential] = refused
        const mustRefuse = credential !== 'admin' && (credential !== 'none' || !onSocket(mode))
        wanted[label][credential] = mustRefuse ? `401 ${FAILURE_CODE[credential]}` : 'passed auth'
      }
    }
    expect(actual).toEqual(wanted)
  })
})

describe('local admin token and proxies', () => {
  it('team: the admin token works from loopback, not through a forwarding proxy; whoami says who', async () => {
    const target = targets.team!
    const local = await target.daemon.request('GET', '/api/auth/whoami', {headers: {authorization: `Bearer ${target.adminToken}`}})
    expect(local.status).toBe(200)
    expect(local.body).toMatchObject({authenticated: true, kind: 'admin-token', role: 'admin', authMode: 'team', remote: false})
    const proxied = await target.daemon.request('GET', '/api/auth/whoami', {
      headers: {authorization: `Bearer ${target.adminToken}`, 'x-real-ip': '198.51.100.7'},
    })
    expect(proxied.status).toBe(401)
    expect(proxied.body.code).toBe('admin_token_remote')
    const stale = await target.daemon.request('GET', '/api/auth/whoami', {headers: {authorization: `Bearer sig_at_${'A'.repeat(43)}`}})
    expect(stale.status).toBe(401)
  })

  it('hybrid: every forwarding header makes a loopback peer remote, so the admin token is refused through it', async () => {
    const target = targets.hybrid!
    for (const header of [{forwarded: 'for=198.51.100.7'}, {'x-forwarded-for': '198.51.100.7'}, {'x-real-ip': '198.51.100.7'}] as Record<string, string>[]) {
      const response = await target.daemon.request('GET', '/api/memories', {headers: header, via: 'tcp'})
      expect(response.status, JSON.stringify(header)).toBe(401)
      expect(response.headers.get('www-authenticate')).toBe('Bearer')
      const withToken = await target.daemon.request('GET', '/api/memories', {headers: {...header, authorization: `Bearer ${target.adminToken}`}})
      expect(withToken.body.code, JSON.stringify(header)).toBe('admin_token_remote')
    }
    const local = await target.daemon.request('GET', '/api/auth/whoami', {headers: {authorization: `Bearer ${target.adminToken}`}})
    expect(local.body).toMatchObject({authenticated: true, kind: 'admin-token', role: 'admin', remote: false, authMode: 'hybrid'})
  })

  it.each(['local', 'hybrid', 'team'] as const)('%s: the owner socket is the local owner without a key; loopback TCP without one is not', async (mode) => {
    const target = targets[mode]!
    const owner = await target.daemon.request('GET', '/api/auth/whoami', {via: 'socket'})
    expect(owner.status).toBe(200)
    expect(owner.body).toMatchObject({authenticated: false, trustedLocal: true, role: 'admin', remote: false, authMode: mode})
    const anonymous = await target.daemon.request('GET', '/api/auth/whoami', {via: 'tcp'})
    expect(anonymous.status).toBe(401)
    expect(anonymous.body.code).toBe('auth_required')
    expect(anonymous.body.error).toMatch(/signet CLI/)
  })

  it('hybrid: a scoped key from a remote caller reports its scope; listing never shows other agents', async () => {
    const target = targets.hybrid!
    await target.setup('POST', '/api/memory/remember', {content: 'beta secret plan', agentId: OTHER_AGENT})
    await target.setup('POST', '/api/memory/remember', {content: 'alpha own note', agentId: SCOPED_AGENT})
    const headers = headersFor('hybrid-remote', target.keys.agent)
    const whoami = await target.daemon.request('GET', '/api/auth/whoami', {headers})
    expect(whoami.body).toMatchObject({authenticated: true, role: 'agent', connector: 'pi', scope: {agent: SCOPED_AGENT}, remote: true})
    const listed = await target.daemon.request('GET', '/api/memories?limit=500', {headers})
    expect(listed.status).toBe(200)
    expect(listed.body.memories.length).toBeGreaterThan(0)
    expect(listed.body.memories.every((memory: {agentId: string}) => memory.agentId === SCOPED_AGENT)).toBe(true)
    const recalled = await target.daemon.request('POST', '/api/memory/recall', {headers, body: {query: 'beta secret plan'}})
    expect(recalled.body.results.map((result: {content: string}) => result.content)).not.toContain('beta secret plan')
    const written = await target.daemon.request('POST', '/api/memory/remember', {headers, body: {content: 'written without agentId'}})
    expect(written.body.memory.agentId).toBe(SCOPED_AGENT)
  })
})

describe('trusted proxies', () => {
  it('a listed proxy is believed about its client: loopback client = may use the admin token, remote client = may not; neither is the owner without one', async () => {
    const daemon = await startTestDaemon({agentYaml: 'auth:\n  mode: hybrid\n  trustedProxies: ["127.0.0.1", "::1"]\n'})
    try {
      const token = {authorization: `Bearer ${daemon.adminToken()}`}
      const viaProxyLocal = await daemon.request('GET', '/api/auth/whoami', {headers: {...token, 'x-forwarded-for': '127.0.0.1'}})
      expect(viaProxyLocal.status).toBe(200)
      expect(viaProxyLocal.body).toMatchObject({kind: 'admin-token', remote: false})
      const viaProxyRemote = await daemon.request('GET', '/api/auth/whoami', {headers: {...token, 'x-forwarded-for': '127.0.0.1, 198.51.100.7'}})
      expect(viaProxyRemote.status).toBe(401)
      const noCredential = await daemon.request('GET', '/api/auth/whoami', {headers: {'x-forwarded-for': '127.0.0.1'}, via: 'tcp'})
      expect(noCredential.status).toBe(401)
    } finally {
      await daemon.stop()
    }
  })
})
