import fc from 'fast-check'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {startTestDaemon, type TestDaemon, storageProblems} from '../helpers/daemon.js'
import {expectBlames, expectWellFormedAnswer} from './support/expectations.js'
import {mutateOneField, nastyString, percentEncode, rawBody} from './support/fuzz-inputs.js'
import {httpRequest, type HttpResponse} from './support/http-request.js'

/**
 * The agent-network routes under hostile input (same rules as api-route-fuzz.test.ts): never 5xx,
 * never a hang, errors in the envelope, a 400 names the field — and the database is sound at the end.
 */
const RUNS = Number(process.env.SIGNET_FUZZ_RUNS ?? 60)

let daemon: TestDaemon
let requests = 0
let messageId: string

async function send(method: string, path: string, init: {body?: string} = {}): Promise<HttpResponse> {
  requests++
  // As the owner: TCP needs a credential (the admin token).
  return httpRequest(daemon.url, {
    method,
    path,
    body: init.body,
    headers: {'content-type': 'application/json', authorization: `Bearer ${daemon.adminToken()}`},
    timeoutMs: 15_000,
  })
}

const text = (max: number) => fc.string({minLength: 1, maxLength: max}).filter((s) => s.trim().length > 0)

const sendBody = fc.record(
  {
    to: fc.constantFrom('codex-b', 'pi@laptop', 'claude.a'),
    body: text(300),
    subject: text(60).filter((s) => s.trim().length <= 200),
    kind: fc.constantFrom('note', 'request', 'reply'),
    agentId: fc.constantFrom('default', 'fuzz-agent'),
    project: fc.constantFrom('github.com/acme/api'),
    machineId: fc.constantFrom('laptop-1'),
    sessionKey: fc.uuid(),
    harness: fc.constantFrom('codex', 'claude-code'),
  },
  {requiredKeys: ['to', 'body']},
)
const sendKeys = ['to', 'body', 'subject', 'kind', 'replyTo', 'agentId', 'project', 'machineId', 'sessionKey', 'harness']

beforeAll(async () => {
  daemon = await startTestDaemon({agentYaml: 'agents:\n  rateLimit: {windowMs: 60000, max: 1000000}\n'})
  const sent = await send('POST', '/api/agents/messages', {body: JSON.stringify({to: 'codex-b', body: 'seed'})})
  expect(sent.status).toBe(201)
  messageId = sent.json.message.id
})

afterAll(async () => {
  expect(await storageProblems(daemon)).toEqual([])
  console.info(`agent route fuzz: ${requests} requests, integrity ok`)
  await daemon.stop()
})

describe('agent-network routes under hostile input (fast-check)', () => {
  it('POST /api/agents/messages: one hostile field blames that field; a valid body is accepted; never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          mutateOneField(sendBody, sendKeys),
          sendBody.map((body) => ({body, key: ''})),
        ),
        async ({body, key}) => {
          const response = await send('POST', '/api/agents/messages', {body: JSON.stringify(body)})
          const context = `messages ${key}=${JSON.stringify((body as Record<string, unknown>)[key])?.slice(0, 80)}`
          expectWellFormedAnswer(response, context)
          if (key) {
            expectBlames(response, key, context)
            if (response.status === 413) expect(response.json.field).toBe('body')
          } else {
            expect(response.status, `${context} → ${response.text.slice(0, 200)}`).toBe(201)
          }
        },
      ),
      {numRuns: RUNS},
    )
  })

  it('POST …/ack: hostile bodies and ids are 400 naming the field, or 404', async () => {
    const id = fc.oneof(fc.constant(messageId), nastyString.filter((s) => s.length > 0).map(percentEncode), fc.uuid())
    const body = fc.oneof(
      mutateOneField(fc.record({agentId: fc.constantFrom('codex-b')}), ['agentId']),
      fc.constant({body: {agentId: 'codex-b'}, key: ''}),
      rawBody.map((raw) => ({raw, key: ''})),
    )
    await fc.assert(
      fc.asyncProperty(id, body, async (value, input) => {
        const payload = 'raw' in input ? (input.raw as string) : JSON.stringify(input.body)
        const response = await send('POST', `/api/agents/messages/${value}/ack`, {body: payload})
        expectWellFormedAnswer(response, `ack ${value.slice(0, 60)} ${payload.slice(0, 80)}`, {wholeBodyErrors: true})
        expect(response.status).not.toBe(403)
      }),
      {numRuns: RUNS},
    )
  })

  it('hostile query strings on GET /api/agents/inbox, /peers and /stream (invalid ones only: a valid stream never ends)', async () => {
    const query = fc
      .dictionary(fc.oneof(fc.constantFrom('limit', 'agentId', 'box', 'state', 'thread', 'status', 'lastEventId', 'heartbeatMs'), nastyString), nastyString, {
        maxKeys: 4,
      })
      .map((params) =>
        Object.entries(params)
          .map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`)
          .join('&'),
      )
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/api/agents/inbox', '/api/agents/peers'), query, async (path, q) => {
        expectWellFormedAnswer(await send('GET', `${path}?${q}`), `GET ${path}?${q.slice(0, 100)}`)
      }),
      {numRuns: RUNS * 2},
    )
    for (const q of ['heartbeatMs=5', 'lastEventId=-1', 'agentId=%00', 'unknown=1', 'heartbeatMs=1e999']) {
      const response = await send('GET', `/api/agents/stream?${q}`)
      expect(response.status, q).toBe(400)
      expectWellFormedAnswer(response, `stream ${q}`)
    }
  })

  it('bodies that are not JSON objects', async () => {
    await fc.assert(
      fc.asyncProperty(rawBody, async (body) => {
        expectWellFormedAnswer(await send('POST', '/api/agents/messages', {body}), `raw ${JSON.stringify(body).slice(0, 80)}`, {wholeBodyErrors: true})
      }),
      {numRuns: RUNS},
    )
    expect((await send('GET', '/health')).status).toBe(200)
  })
})
