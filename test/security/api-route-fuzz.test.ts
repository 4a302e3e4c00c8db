import fc from 'fast-check'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {SIGNET_TOOL_NAMES} from '../../src/mcp/tools.js'
import {startTestDaemon, type TestDaemon, storageProblems} from '../helpers/daemon.js'
import {expectBlames, expectWellFormedAnswer} from './support/expectations.js'
import {hostileHeaders, mutateOneField, nastyJson, nastyString, percentEncode, rawBody} from './support/fuzz-inputs.js'
import {httpRequest, type HttpResponse} from './support/http-request.js'

/**
 * Every route beyond the memory ones (memory-route-fuzz.test.ts): auth and pairing, hooks,
 * sessions, harnesses, diagnostics and /mcp. Same rules: never 5xx, never a hang, errors in the
 * envelope, a 400 names the field — and the database is sound at the end.
 */
const RUNS = Number(process.env.SIGNET_FUZZ_RUNS ?? 60)

let daemon: TestDaemon
let requests = 0
let keyId: string

async function send(method: string, path: string, init: {body?: string; headers?: Record<string, string>} = {}): Promise<HttpResponse> {
  requests++
  // The owner over TCP: the admin token (a loopback caller without one is nobody).
  return httpRequest(daemon.url, {
    method,
    path,
    body: init.body,
    headers: {'content-type': 'application/json', authorization: `Bearer ${daemon.adminToken()}`, ...init.headers},
    timeoutMs: 15_000,
  })
}

const harness = fc.constantFrom('claude-code', 'codex', 'gemini', 'opencode', 'pi', 'omp', 'openclaw', 'hermes', 'generic')
const agentId = fc.constantFrom('default', 'fuzz-agent', 'pi-laptop')
const project = fc.oneof(
  fc.constantFrom('github.com/acme/api', 'acme/web'),
  fc.record(
    {
      id: fc.constant('acme/api'),
      cwd: fc.constant('/home/u/acme'),
      gitRoot: fc.constant('/home/u/acme'),
      gitRemote: fc.constant('git@github.com:acme/api.git'),
    },
    {requiredKeys: []},
  ),
)
const text = (max: number) => fc.string({minLength: 1, maxLength: max}).filter((s) => s.trim().length > 0)
const transcript = fc.oneof(
  text(400),
  fc.constant(
    '{"type":"user","message":{"role":"user","content":"We decided to use pnpm"}}\n{"type":"assistant","message":{"role":"assistant","content":[{"type":"text","text":"Noted: pnpm."}]}}',
  ),
)
const hookCommon = {harness, agentId, sessionKey: fc.uuid(), machineId: fc.constantFrom('laptop-1'), project}
const hookCommonKeys = ['harness', 'agentId', 'sessionKey', 'machineId', 'project']
const future = fc.constant(new Date(Date.now() + 86_400_000 * 30).toISOString())

interface BodyRoute {
  method: string
  path: () => string
  valid: fc.Arbitrary<Record<string, unknown>>
  keys: string[]
  /** The body can be wrong as a whole (no single field to blame), e.g. an empty strict object. */
  wholeBodyErrors?: boolean
}

const BODY_ROUTES: Record<string, BodyRoute> = {
  'hooks/synthesis': {
    method: 'POST',
    path: () => '/api/hooks/synthesis',
    valid: fc.record(
      {harness, agentId, project: fc.constantFrom('acme/api', 'github.com/acme/web'), maxMemories: fc.integer({min: 1, max: 100})},
      {requiredKeys: []},
    ),
    keys: ['harness', 'agentId', 'project', 'maxMemories'],
  },
  'hooks/session-start': {
    method: 'POST',
    path: () => '/api/hooks/session-start',
    valid: fc.record({...hookCommon, source: fc.constantFrom('startup', 'resume', 'compact', 'clear')}, {requiredKeys: ['harness']}),
    keys: [...hookCommonKeys, 'source'],
  },
  'hooks/user-prompt-submit': {
    method: 'POST',
    path: () => '/api/hooks/user-prompt-submit',
    valid: fc.record({...hookCommon, prompt: fc.string({maxLength: 300})}, {requiredKeys: ['harness', 'prompt']}),
    keys: [...hookCommonKeys, 'prompt'],
  },
  'hooks/pre-compaction': {
    method: 'POST',
    path: () => '/api/hooks/pre-compaction',
    valid: fc.record(
      {...hookCommon, trigger: fc.constantFrom('auto', 'manual'), messageCount: fc.nat(500), transcript, idempotencyKey: fc.uuid()},
      {requiredKeys: ['harness']},
    ),
    keys: [...hookCommonKeys, 'trigger', 'messageCount', 'transcript', 'idempotencyKey'],
  },
  'hooks/compaction-complete': {
    method: 'POST',
    path: () => '/api/hooks/compaction-complete',
    valid: fc.record({...hookCommon, summary: text(300), idempotencyKey: fc.uuid()}, {requiredKeys: ['harness', 'summary']}),
    keys: [...hookCommonKeys, 'summary', 'idempotencyKey'],
  },
  'hooks/session-end': {
    method: 'POST',
    path: () => '/api/hooks/session-end',
    valid: fc.record(
      {...hookCommon, transcript, reason: fc.constantFrom('exit', 'clear', 'logout'), lastAssistantMessage: text(200), idempotencyKey: fc.uuid()},
      {requiredKeys: ['harness']},
    ),
    keys: [...hookCommonKeys, 'transcript', 'reason', 'lastAssistantMessage', 'idempotencyKey'],
  },
  'sessions/search': {
    method: 'POST',
    path: () => '/api/sessions/search',
    valid: fc.record(
      {
        query: text(100),
        agentId,
        project: fc.constantFrom('acme/api'),
        sessionKey: fc.uuid(),
        currentSessionKey: fc.uuid(),
        limit: fc.integer({min: 1, max: 50}),
      },
      {requiredKeys: ['query']},
    ),
    keys: ['query', 'agentId', 'agent_id', 'project', 'sessionKey', 'currentSessionKey', 'current_session_key', 'limit'],
  },
  'sources/search': {
    method: 'POST',
    path: () => '/api/sources/search',
    valid: fc.record({query: text(100), limit: fc.integer({min: 1, max: 50})}, {requiredKeys: ['query']}),
    keys: ['query', 'limit'],
  },
  'auth/api-keys create': {
    method: 'POST',
    path: () => '/api/auth/api-keys',
    valid: fc.record(
      {
        name: text(60),
        role: fc.constantFrom('agent', 'readonly', 'operator'),
        scope: fc.record({agent: agentId, project: fc.constantFrom('acme/api')}, {requiredKeys: []}),
        connector: fc.constantFrom('pi', 'codex'),
        expiresAt: future,
        allowedProjects: fc.array(fc.constantFrom('acme/api', 'acme/web'), {maxLength: 2}),
      },
      {requiredKeys: ['name']},
    ),
    keys: ['name', 'role', 'scope', 'permissions', 'connector', 'harness', 'agentId', 'allowedProjects', 'expiresAt'],
  },
  'auth/api-keys rotate': {
    method: 'POST',
    path: () => `/api/auth/api-keys/${keyId}/rotate`,
    valid: fc.record({expiresAt: future}, {requiredKeys: []}),
    keys: ['expiresAt'],
  },
  'auth/pair': {
    method: 'POST',
    path: () => '/api/auth/pair',
    valid: fc.record(
      {
        connector: fc.constantFrom('pi'),
        agentId,
        role: fc.constantFrom('agent', 'readonly'),
        project: fc.constantFrom('acme/api'),
        ttlSeconds: fc.integer({min: 30, max: 86_400}),
      },
      {requiredKeys: []},
    ),
    keys: ['connector', 'agentId', 'role', 'project', 'ttlSeconds'],
  },
  'auth/pair/claim': {
    method: 'POST',
    path: () => '/api/auth/pair/claim',
    valid: fc.record({code: fc.constantFrom('7KQ-94M', 'ABC-DEF'), name: text(40), machineId: fc.constantFrom('m1')}, {requiredKeys: ['code']}),
    keys: ['code', 'name', 'machineId'],
  },
  'harnesses/regenerate': {
    method: 'POST',
    path: () => '/api/harnesses/regenerate',
    valid: fc.constant({}),
    keys: [],
  },
}

beforeAll(async () => {
  // Fuzzing fails auth and pairing on purpose, many times a second: lift the per-peer limits.
  daemon = await startTestDaemon({
    agentYaml:
      'version: 1\nagent:\n  name: fuzz\nauth:\n  mode: local\n  rateLimits:\n    authFailures: {windowMs: 60000, max: 100000}\n    pairClaim: {windowMs: 60000, max: 100000}\n',
  })
  keyId = (await send('POST', '/api/auth/api-keys', {body: JSON.stringify({name: 'rotated by the fuzzer', role: 'agent'})})).json.apiKey.id
})

afterAll(async () => {
  expect(await storageProblems(daemon)).toEqual([])
  console.info(`api route fuzz: ${requests} requests, integrity ok`)
  await daemon.stop()
})

async function expectHealthy(): Promise<void> {
  expect((await send('GET', '/health')).status).toBe(200)
}

describe('every non-memory route under hostile input (fast-check)', () => {
  it.each(Object.keys(BODY_ROUTES))('%s: one hostile field blames that field; never 5xx', async (name) => {
    const route = BODY_ROUTES[name]
    const mutated = route.keys.length > 0 ? mutateOneField(route.valid, route.keys) : route.valid.chain((valid) => mutateOneField(fc.constant(valid), ['x']))
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          mutated,
          route.valid.map((body) => ({body, key: ''})),
        ),
        async ({body, key}) => {
          const response = await send(route.method, route.path(), {body: JSON.stringify(body)})
          expectWellFormedAnswer(response, `${name} ${key}=${JSON.stringify(body[key])?.slice(0, 80)}`, {wholeBodyErrors: route.wholeBodyErrors})
          if (key) expectBlames(response, key, name)
          else if (!['auth/pair/claim', 'auth/api-keys rotate', 'auth/pair'].includes(name)) {
            // A valid body is accepted (claims use made-up codes; rotation revokes its own target; pair codes run out).
            expect(response.status, `${name} valid body → ${response.text.slice(0, 200)}`).toBeLessThan(300)
          }
        },
      ),
      {numRuns: RUNS},
    )
    await expectHealthy()
  })

  it('bodies that are not JSON objects, on every body route', async () => {
    const routes = Object.values(BODY_ROUTES)
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), rawBody, async (route, body) => {
        const response = await send(route.method, route.path(), {body})
        expectWellFormedAnswer(response, `${route.path()} raw ${JSON.stringify(body).slice(0, 80)}`, {wholeBodyErrors: true})
      }),
      {numRuns: RUNS * 2},
    )
    await expectHealthy()
  })

  it('hostile query strings on GET routes', async () => {
    const routes = [
      '/api/sessions',
      '/api/sources',
      '/api/auth/audit',
      '/api/auth/api-keys',
      '/api/harnesses',
      '/api/auth/whoami',
      '/api/diagnostics/db',
      '/api/embedding/status',
      '/api/status',
    ]
    const query = fc
      .dictionary(fc.oneof(fc.constantFrom('limit', 'offset', 'agentId', 'project', 'event', 'keyId', 'harness'), nastyString), nastyString, {maxKeys: 4})
      .map((params) =>
        Object.entries(params)
          .map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`)
          .join('&'),
      )
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        fc.oneof(query, fc.constantFrom('limit=%', '%%', 'limit=1e999', 'offset=-5', 'limit=1&limit=x')),
        async (path, q) => {
          expectWellFormedAnswer(await send('GET', `${path}?${q}`), `GET ${path}?${q.slice(0, 100)}`)
        },
      ),
      {numRuns: RUNS * 2},
    )
    await expectHealthy()
  })

  it('hostile ids and keys in path parameters (traversal, encodings, NUL): 400 naming the parameter, or 404', async () => {
    const id = fc.oneof(
      nastyString.filter((s) => s.length > 0).map(percentEncode),
      fc.constantFrom(
        '..%2F..%2F..%2Fetc%2Fpasswd',
        '..%5C..%5Cwindows',
        '%00',
        '%2e%2e',
        '....%2F%2F',
        'key_AAAAAAAAAAAAAAAA',
        'ffffffffffff',
        'x'.repeat(2000),
      ),
    )
    const targets: Array<[string, (id: string) => string, string[]]> = [
      ['DELETE', (k) => `/api/auth/api-keys/${k}`, ['idOrPrefix']],
      ['POST', (k) => `/api/auth/api-keys/${k}/rotate`, ['idOrPrefix']],
      ['GET', (k) => `/api/sessions/${k}`, ['key']],
      ['GET', (k) => `/api/sessions/${k}/transcript`, ['key']],
    ]
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...targets), id, async ([method, path, params], value) => {
        const response = await send(method, path(value), {body: method === 'POST' ? '{}' : undefined})
        expectWellFormedAnswer(response, `${method} ${path(value).slice(0, 100)}`)
        // Session keys are free text: a hostile-looking one another property stored ("${7*7}") is a real session.
        const storedSession =
          response.status === 200 && method === 'GET' && [response.json?.session?.sessionKey, response.json?.sessionKey].includes(safeDecode(value))
        if (!storedSession)
          expect([400, 404], `${method} ${path(value).slice(0, 100)} → ${response.status} ${response.text.slice(0, 200)}`).toContain(response.status)
        if (response.status === 400 && response.json.code === 'invalid_request') expect(params).toContain(response.json.field)
      }),
      {numRuns: RUNS * 2},
    )
    await expectHealthy()
  })

  it('hostile headers on every route: a bogus credential is a 401, never a 5xx and never accepted', async () => {
    const routes: Array<[string, string, string?]> = [
      ...Object.values(BODY_ROUTES).map((route) => [route.method, route.path(), '{}'] as [string, string, string]),
      ['GET', '/api/sessions'],
      ['GET', '/api/auth/whoami'],
      ['GET', '/api/auth/audit'],
      ['GET', '/api/harnesses'],
      ['GET', '/api/diagnostics/db'],
      ['POST', '/mcp', '{"jsonrpc":"2.0","id":1,"method":"tools/list"}'],
    ]
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), hostileHeaders, async ([method, path, body], headers) => {
        const response = await send(method, path, {body, headers: {accept: 'application/json, text/event-stream', ...headers}})
        // /mcp answers protocol errors (wrong content type, …) in the JSON-RPC envelope, as MCP clients expect.
        if (path === '/mcp' && response.json?.jsonrpc === '2.0') expect(response.status).toBeLessThan(500)
        else expectWellFormedAnswer(response, `${method} ${path} ${JSON.stringify(headers).slice(0, 160)}`, {wholeBodyErrors: true})
        const credential = headers.authorization?.trim()
        // A foreign Host or a body that is not labelled JSON is refused before auth looks at the credential.
        const edgeRefusal =
          headers.host === 'evil.example'
            ? 403
            : body !== undefined && !(headers['content-type'] ?? 'application/json').startsWith('application/json')
              ? 415
              : undefined
        if (edgeRefusal) expect(response.status, `${method} ${path} ${JSON.stringify(headers).slice(0, 160)}`).toBe(edgeRefusal)
        else if (credential && path !== '/api/auth/pair/claim')
          expect([401, 429], `${method} ${path} with Authorization: ${credential.slice(0, 40)}`).toContain(response.status)
      }),
      {numRuns: RUNS * 2},
    )
    await expectHealthy()
  })
})

describe('/mcp under hostile JSON-RPC (fast-check)', () => {
  const mcpHeaders = {accept: 'application/json, text/event-stream'}
  // every registered tool, so a new one is fuzzed too
  const tools = SIGNET_TOOL_NAMES

  it('tool calls with hostile arguments come back as results or MCP errors, never a 5xx', async () => {
    const call = fc.record({
      name: fc.oneof(fc.constantFrom(...tools), nastyString),
      arguments: fc.oneof(
        fc.dictionary(
          fc.constantFrom('query', 'content', 'id', 'limit', 'tags', 'importance', 'project', 'agentId', 'session_key', 'type', 'pinned', 'source'),
          nastyJson,
          {maxKeys: 4},
        ),
        nastyJson,
      ),
    })
    await fc.assert(
      fc.asyncProperty(call, fc.integer(), async (params, id) => {
        const response = await send('POST', '/mcp', {headers: mcpHeaders, body: JSON.stringify({jsonrpc: '2.0', id, method: 'tools/call', params})})
        expect(response.status, `${params.name} ${response.text.slice(0, 200)}`).toBeLessThan(500)
        if (response.status === 200) expect(response.json).toMatchObject({jsonrpc: '2.0'})
      }),
      {numRuns: RUNS * 2},
    )
    await expectHealthy()
  })

  it('malformed JSON-RPC envelopes and batches', async () => {
    const envelope = fc.oneof(
      rawBody,
      nastyJson.map((value) => JSON.stringify({jsonrpc: '2.0', id: 1, method: 'tools/call', params: value})),
      fc
        .record(
          {
            jsonrpc: fc.oneof(fc.constant('2.0'), nastyString),
            id: nastyJson,
            method: fc.oneof(fc.constantFrom('initialize', 'tools/list', 'resources/list', 'ping', 'notifications/initialized'), nastyString),
            params: nastyJson,
          },
          {requiredKeys: []},
        )
        .map((value) => JSON.stringify(value)),
      fc.array(fc.constant({jsonrpc: '2.0', id: 2, method: 'tools/list'}), {minLength: 0, maxLength: 40}).map((batch) => JSON.stringify(batch)),
    )
    await fc.assert(
      fc.asyncProperty(envelope, fc.constantFrom('POST', 'GET', 'DELETE', 'PUT'), async (body, method) => {
        const response = await send(method, '/mcp', {headers: mcpHeaders, body: method === 'GET' ? undefined : body})
        expect(response.status, `${method} /mcp ${body.slice(0, 100)} → ${response.text.slice(0, 200)}`).toBeLessThan(500)
      }),
      {numRuns: RUNS * 2},
    )
    await expectHealthy()
  })
})

function safeDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value)
  } catch {
    return undefined
  }
}
