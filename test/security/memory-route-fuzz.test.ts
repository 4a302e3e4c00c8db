import fc from 'fast-check'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {startTestDaemon, storageProblems, type TestDaemon} from '../helpers/daemon.js'
import {expectBlames, expectWellFormedAnswer} from './support/expectations.js'
import {hostileHeaders, mutateOneField, nastyJson, nastyString, percentEncode, rawBody} from './support/fuzz-inputs.js'
import {httpRequest, type HttpResponse} from './support/http-request.js'

/** Property runs per input family; SIGNET_FUZZ_RUNS raises them for a long local session. */
const RUNS = Number(process.env.SIGNET_FUZZ_RUNS ?? 120)

let daemon: TestDaemon
let requests = 0
let knownId: string

async function send(method: string, path: string, init: {body?: string; headers?: Record<string, string>} = {}): Promise<HttpResponse> {
  requests++
  // The owner over TCP: the admin token (a loopback caller without one is nobody).
  return httpRequest(daemon.url, {
    method,
    path,
    body: init.body,
    headers: {'content-type': 'application/json', authorization: `Bearer ${daemon.adminToken()}`, ...init.headers},
    timeoutMs: 10_000,
  })
}

async function expectHealthy(): Promise<void> {
  const health = await send('GET', '/health')
  expect(health.status).toBe(200)
}

const validRemember = fc.record(
  {
    content: fc.string({minLength: 1, maxLength: 200}).filter((s) => s.trim().length > 0),
    tags: fc.array(fc.string({maxLength: 20}), {maxLength: 4}),
    importance: fc.double({min: 0, max: 1, noNaN: true}),
    pinned: fc.boolean(),
    type: fc.constantFrom('fact', 'decision', 'preference'),
    project: fc.constantFrom('acme/api', 'github.com/acme/web'),
    agentId: fc.constantFrom('default', 'fuzz-agent'),
    sessionKey: fc.uuid(),
    idempotencyKey: fc.uuid(),
    createdAt: fc.date({min: new Date('2000-01-01'), max: new Date('2030-01-01'), noInvalidDate: true}).map((d) => d.toISOString()),
  },
  {requiredKeys: ['content']},
)
const rememberKeys = ['content', 'tags', 'importance', 'pinned', 'type', 'project', 'agentId', 'sessionKey', 'machineId', 'idempotencyKey', 'createdAt']

const validRecall = fc.record(
  {
    query: fc.string({maxLength: 200}),
    limit: fc.integer({min: 1, max: 100}),
    project: fc.constantFrom('acme/api'),
    agentId: fc.constantFrom('default', 'fuzz-agent'),
    tags: fc.array(fc.string({maxLength: 20}), {maxLength: 3}),
    type: fc.constantFrom('fact'),
    since: fc.constant('2001-01-01T00:00:00Z'),
    until: fc.constant('2031-01-01'),
  },
  {requiredKeys: ['query']},
)
const recallKeys = ['query', 'limit', 'project', 'agentId', 'tags', 'type', 'since', 'until']

const validPatch = fc.record(
  {
    content: fc.string({minLength: 1, maxLength: 100}).filter((s) => s.trim().length > 0),
    tags: fc.array(fc.string({maxLength: 20}), {maxLength: 3}),
    importance: fc.double({min: 0, max: 1, noNaN: true}),
    pinned: fc.boolean(),
    type: fc.constantFrom('fact'),
    project: fc.constantFrom('acme/api', null),
  },
  {requiredKeys: ['importance']},
)
const patchKeys = ['content', 'tags', 'importance', 'pinned', 'type', 'project']

/** Query strings: known keys with hostile values, unknown keys, repeats and broken escapes. */
const hostileQuery = fc.oneof(
  fc.dictionary(fc.oneof(fc.constantFrom('limit', 'offset', 'project', 'agentId', 'type', 'tags'), nastyString), nastyString, {maxKeys: 5}).map((params) =>
    Object.entries(params)
      .map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`)
      .join('&'),
  ),
  fc.constantFrom(
    'limit=%',
    'limit=%zz',
    '%%%',
    'limit=1&limit=2&limit=abc',
    'offset=-1',
    'offset=1e400',
    'limit=0x10',
    'limit=1.5',
    'tags=,,,,',
    'agentId=..%2F..%2F',
    '&&&=&=',
    'limit',
  ),
)

/** Id path segments: traversal, encodings, NULs, lookalikes of a UUID. */
const hostileId = fc.oneof(
  nastyString.filter((s) => s.length > 0).map((s) => percentEncode(s)),
  fc.constantFrom(
    '..%2F..%2Fetc%2Fpasswd',
    '%2e%2e',
    '..%5c..%5c',
    '%00',
    '00000000-0000-0000-0000-000000000000',
    'ffffffff-ffff-ffff-ffff-ffffffffffff%00',
    '%252e%252e%252f',
    'x'.repeat(3000),
  ),
  fc.uuid(),
)

beforeAll(async () => {
  // Hostile Authorization headers fail from 127.0.0.1 like any guess; the owner's admin token comes from
  // the same address, so keep the failure limit out of the way (its 429 is tested elsewhere).
  daemon = await startTestDaemon({agentYaml: 'auth:\n  rateLimits:\n    authFailures: {windowMs: 60000, max: 100000}\n'})
  const seeded = await send('POST', '/api/memory/remember', {body: JSON.stringify({content: 'fuzz seed memory about the staging database'})})
  knownId = seeded.json.id
})

afterAll(async () => {
  // The fuzzing must leave a sound database behind, and say how much it sent.
  expect(await storageProblems(daemon)).toEqual([])
  console.info(`memory route fuzz: ${requests} requests, integrity ok`)
  await daemon.stop()
})

describe('memory routes under hostile input (fast-check)', () => {
  it('POST /api/memory/remember: one hostile field blames that field; never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(mutateOneField(validRemember, rememberKeys), async ({body, key}) => {
        const response = await send('POST', '/api/memory/remember', {body: JSON.stringify(body)})
        expectWellFormedAnswer(response, `remember ${key}=${JSON.stringify(body[key])?.slice(0, 80)}`)
        expectBlames(response, key, 'remember')
        if (response.status === 201) expect(response.json.memory.id).toBe(response.json.id)
      }),
      {numRuns: RUNS * 2},
    )
    await expectHealthy()
  })

  it('POST /api/memory/import: a hostile item field blames memories.<i>.<field>, a hostile top-level field blames itself; nothing of a rejected batch is stored', async () => {
    // agentId and machineId belong to the batch, not the item: in an item they are unknown keys.
    const itemKeys = rememberKeys.filter((key) => key !== 'agentId' && key !== 'machineId')
    const validItem = validRemember.map(({agentId: _agentId, ...item}) => item)
    const hostileItem = fc.tuple(fc.array(validItem, {minLength: 0, maxLength: 3}), mutateOneField(validItem, itemKeys)).map(([before, {body, key}]) => ({
      body: {memories: [...before, body]},
      blame: `memories.${before.length}.${key}`,
    }))
    const hostileTop = mutateOneField(
      fc.record({memories: fc.array(validItem, {minLength: 1, maxLength: 3}), agentId: fc.constantFrom('default', 'fuzz-agent')}),
      ['memories', 'agentId', 'machineId'],
    ).map(({body, key}) => ({body, blame: key}))
    await fc.assert(
      fc.asyncProperty(fc.oneof(hostileItem, hostileTop), async ({body, blame}) => {
        const before = await daemon.context.storage.memories.count()
        const response = await send('POST', '/api/memory/import', {body: JSON.stringify(body)})
        expectWellFormedAnswer(response, `import ${blame}`)
        if (response.status === 400 && response.json?.code === 'invalid_request') {
          const field = String(response.json.field)
          // A mutated item may also be rejected as a whole (e.g. content removed): blame stays inside that item.
          const item = blame.split('.').slice(0, 2).join('.')
          expect(
            field === blame || field.startsWith(`${blame}.`) || (blame.startsWith('memories.') && field.startsWith(item)),
            `import blamed '${field}', mutated '${blame}'`,
          ).toBe(true)
        }
        if (response.status !== 200) expect(await daemon.context.storage.memories.count()).toBe(before)
      }),
      {numRuns: RUNS},
    )
    await expectHealthy()
  })

  it('POST /api/memory/recall: hostile fields and FTS syntax never reach SQLite as syntax', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          mutateOneField(validRecall, recallKeys),
          validRecall.map((body) => ({body, key: ''})),
        ),
        async ({body, key}) => {
          const response = await send('POST', '/api/memory/recall', {body: JSON.stringify(body)})
          expectWellFormedAnswer(response, `recall ${key}`)
          if (key) expectBlames(response, key, 'recall')
          if (response.status === 200) expect(Array.isArray(response.json.results)).toBe(true)
        },
      ),
      {numRuns: RUNS * 2},
    )
    await expectHealthy()
  })

  it('every body route: bodies that are not JSON objects get 400 invalid_json', async () => {
    const routes = [
      ['POST', '/api/memory/remember'],
      ['POST', '/api/memory/recall'],
      ['POST', '/api/memory/import'],
      ['PATCH', `/api/memory/${'00000000-0000-4000-8000-000000000000'}`],
    ] as const
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), rawBody, async ([method, path], body) => {
        const response = await send(method, path, {body})
        // An empty PATCH is wrong as a whole ("at least one of …"): no single field to blame.
        expectWellFormedAnswer(response, `${method} ${path} raw ${JSON.stringify(body).slice(0, 80)}`, {wholeBodyErrors: method === 'PATCH'})
      }),
      {numRuns: RUNS},
    )
    await expectHealthy()
  })

  it('GET /api/memories: hostile query strings', async () => {
    await fc.assert(
      fc.asyncProperty(hostileQuery, async (query) => {
        const response = await send('GET', `/api/memories?${query}`)
        expectWellFormedAnswer(response, `list ?${query.slice(0, 120)}`)
        if (response.status === 200) {
          expect(response.json.memories.length).toBeLessThanOrEqual(500)
          for (const memory of response.json.memories) expect(typeof memory.id).toBe('string')
        }
      }),
      {numRuns: RUNS},
    )
    await expectHealthy()
  })

  it("GET/PATCH/DELETE /api/memory/:id: hostile ids are 400 (field id) or 404, never someone else's row", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('GET', 'PATCH', 'DELETE'), hostileId, validPatch, async (method, id, patch) => {
        const response = await send(method, `/api/memory/${id}`, {body: method === 'PATCH' ? JSON.stringify(patch) : undefined})
        expectWellFormedAnswer(response, `${method} /api/memory/${id.slice(0, 80)}`)
        expect([400, 404], `${method} ${id.slice(0, 80)} → ${response.status}`).toContain(response.status)
        if (response.status === 400 && response.json.code === 'invalid_request') expect(response.json.field).toBe('id')
      }),
      {numRuns: RUNS},
    )
    await expectHealthy()
  })

  it('PATCH /api/memory/:id on a real row: one hostile field blames that field', async () => {
    await fc.assert(
      fc.asyncProperty(mutateOneField(validPatch, patchKeys), async ({body, key}) => {
        const response = await send('PATCH', `/api/memory/${knownId}`, {body: JSON.stringify(body)})
        expectWellFormedAnswer(response, `patch ${key}`)
        expectBlames(response, key, 'patch')
      }),
      {numRuns: RUNS},
    )
    expect((await send('GET', `/api/memory/${knownId}`)).status).toBe(200)
  })

  it('hostile headers and odd methods on every route', async () => {
    const targets = [
      ['POST', '/api/memory/remember'],
      ['POST', '/api/memory/recall'],
      ['GET', '/api/memories'],
      ['GET', `/api/memory/${knownId}`],
      ['GET', '/api/status'],
      ['GET', '/health'],
      ['PUT', '/api/memory/remember'],
      ['OPTIONS', '/api/memories'],
      ['TRACE', '/api/status'],
      ['POST', '/api/../../etc/passwd'],
    ] as const
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...targets), hostileHeaders, fc.string({minLength: 1, maxLength: 60}), async ([method, path], headers, content) => {
        const body = method === 'POST' ? JSON.stringify({content, query: content}) : undefined
        const response = await send(method, path, {body, headers})
        expectWellFormedAnswer(response, `${method} ${path} headers ${JSON.stringify(headers).slice(0, 160)}`)
      }),
      {numRuns: RUNS},
    )
    await expectHealthy()
  })

  it('deeply nested and oversized bodies are refused without hurting the daemon', async () => {
    const deep = '{"content":' + '['.repeat(50_000) + ']'.repeat(50_000) + '}'
    const deepAnswer = await send('POST', '/api/memory/remember', {body: deep})
    expectWellFormedAnswer(deepAnswer, 'deeply nested')
    expect(deepAnswer.status).toBe(400)
    const huge = JSON.stringify({content: 'x'.repeat(1024 * 1024 + 10)})
    const hugeAnswer = await send('POST', '/api/memory/remember', {body: huge})
    expect(hugeAnswer.status).toBe(413)
    expect(hugeAnswer.json.code).toBe('payload_too_large')
    const manyKeys = JSON.stringify(Object.fromEntries(Array.from({length: 20_000}, (_, i) => [`k${i}`, i])))
    expectWellFormedAnswer(await send('POST', '/api/memory/recall', {body: manyKeys}), 'twenty thousand keys')
    const anyJson = await fc.sample(nastyJson, 20)
    for (const value of anyJson) {
      expectWellFormedAnswer(await send('POST', '/api/memory/remember', {body: JSON.stringify({content: value})}), 'content of any JSON type')
    }
    await expectHealthy()
  })
})
