import {mkdirSync, writeFileSync} from 'node:fs'
import {request as httpRequest} from 'node:http'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {z} from 'zod'

import {API_CONTRACT, type RouteDefinition, type RouteKey} from '../../src/api/contract.js'
import {DaemonClient, DaemonRequestError} from '../../src/client/daemon-client.js'
import {startTestDaemon, type TestDaemon} from '../helpers/daemon.js'

/*
 * The API contract against a real daemon: every route in src/api is called (with data in the store,
 * so lists are not empty and optional parts show up), and every answer is checked against the
 * route's response schema and success statuses. A route whose answer drifts from the contract —
 * a field renamed, added, dropped or of another type — fails here, and the last test fails when a
 * route in the contract was not called at all.
 */

let daemon: TestDaemon
const called = new Set<RouteKey>()

interface Call {
  params?: Record<string, string>
  query?: Record<string, string | number>
  body?: unknown
  headers?: Record<string, string>
  via?: 'socket' | 'tcp'
}

function routePath(route: RouteKey, call: Call): string {
  const template = route.slice(route.indexOf(' ') + 1)
  const filled = template.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(call.params![name]))
  const query = new URLSearchParams(Object.entries(call.query ?? {}).map(([name, value]) => [name, String(value)]))
  return query.size > 0 ? `${filled}?${query}` : filled
}

/** Call one JSON route (as the owner unless told otherwise) and check its answer against the contract. */
async function call(route: RouteKey, request: Call = {}): Promise<any> {
  const definition: RouteDefinition = API_CONTRACT[route]
  const method = route.slice(0, route.indexOf(' '))
  const body = request.body ?? (method === 'POST' || method === 'PATCH' ? {} : undefined)
  const response = await daemon.request(method, routePath(route, request), {body, headers: request.headers, via: request.via})
  expect(definition.status ?? [200], `${route} answered ${response.status}: ${JSON.stringify(response.body)}`).toContain(response.status)
  const parsed = definition.response!.safeParse(response.body)
  expect(parsed.success, `${route} answered outside its contract:\n${parsed.error ? z.prettifyError(parsed.error) : ''}`).toBe(true)
  called.add(route)
  return response.body
}

/** Raw HTTP over TCP, for what fetch hides: redirects, cookies, and streams read only in part. */
function raw(
  method: string,
  requestPath: string,
  headers: Record<string, string>,
  options: {body?: string; until?: string} = {},
): Promise<{status: number; headers: Record<string, string | string[] | undefined>; text: string}> {
  return new Promise((resolve, reject) => {
    const length = options.body === undefined ? {} : {'content-length': String(Buffer.byteLength(options.body))}
    const request = httpRequest(`${daemon.url}${requestPath}`, {method, headers: {...length, ...headers}}, (response) => {
      let text = ''
      const done = () => resolve({status: response.statusCode ?? 0, headers: response.headers, text})
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        text += chunk
        // A stream that never ends is read until what the test waits for has arrived.
        if (options.until !== undefined && text.includes(options.until)) {
          done()
          request.destroy()
        }
      })
      response.on('end', done)
    })
    request.on('error', (error) => (request.destroyed ? undefined : reject(error)))
    request.end(options.body)
  })
}

/** Server-Sent Events as {event, data} pairs. */
function sseEvents(text: string): Array<{event: string; data: unknown}> {
  return text
    .split('\n\n')
    .map((block) => {
      const lines = block.split('\n')
      const event = lines.find((line) => line.startsWith('event: '))?.slice('event: '.length)
      const data = lines.find((line) => line.startsWith('data: '))?.slice('data: '.length)
      return event && data !== undefined ? {event, data: JSON.parse(data) as unknown} : undefined
    })
    .filter((entry) => entry !== undefined)
}

function expectEvents(route: RouteKey, text: string, expected: string[]): void {
  const events = sseEvents(text)
  expect(events.map((entry) => entry.event)).toEqual(expect.arrayContaining(expected))
  for (const {event, data} of events) {
    const schema = (API_CONTRACT[route] as RouteDefinition).events?.[event]
    expect(schema, `${route} sent an event '${event}' the contract does not list`).toBeDefined()
    const parsed = schema!.safeParse(data)
    expect(parsed.success, `${route} event '${event}' outside its contract:\n${parsed.error ? z.prettifyError(parsed.error) : ''}`).toBe(true)
  }
  called.add(route)
}

const HOOK = {harness: 'claude-code', sessionKey: 'contract-session', machineId: 'laptop', project: 'github.com/acme/api'}

beforeAll(async () => {
  daemon = await startTestDaemon()
})

afterAll(async () => {
  await daemon?.stop()
})

describe('every route answers what the API contract (src/api) says', () => {
  let memoryId: string

  it('memories', async () => {
    const stored = await call('POST /api/memory/remember', {
      body: {content: 'The staging database listens on port 5433', tags: ['db', 'staging'], importance: 0.8, project: HOOK.project},
      headers: {'x-signet-harness': 'codex'},
    })
    memoryId = stored.id
    expect((await call('POST /api/memory/remember', {body: {content: 'The staging database listens on port 5433', project: HOOK.project}})).deduped).toBe(true)
    await call('POST /api/memory/import', {
      body: {
        memories: [{content: 'Deploys go out on Tuesdays after the release review', origin: 'claude-mem', createdAt: '2024-03-05T10:00:00Z', tags: ['deploy']}],
      },
    })
    const recalled = await call('POST /api/memory/recall', {body: {query: 'staging database port'}})
    expect(recalled.results.length).toBeGreaterThan(0)
    const listed = await call('GET /api/memories', {query: {allAgents: 'true', limit: 10}})
    expect(listed.memories.length).toBe(2)
    await call('GET /api/memory/:id', {params: {id: memoryId}})
    await call('PATCH /api/memory/:id', {params: {id: memoryId}, body: {pinned: true, tags: ['db', 'staging', 'ports']}})
  })

  it('hooks, sessions and their receipts', async () => {
    const started = await call('POST /api/hooks/session-start', {body: {...HOOK, source: 'startup'}})
    expect(started.memories.length).toBeGreaterThan(0)
    // Resumed: the short stub, with no budget in its receipt.
    await call('POST /api/hooks/session-start', {body: {...HOOK, source: 'resume'}})
    // A prompt of only function words recalls nothing (the short receipt); a real one recalls (in a
    // session whose start did not inject the memory already).
    await call('POST /api/hooks/user-prompt-submit', {body: {...HOOK, sessionKey: 'contract-session-2', prompt: 'what is this?'}})
    const prompted = await call('POST /api/hooks/user-prompt-submit', {
      body: {...HOOK, sessionKey: 'contract-session-2', prompt: 'Which port does the staging database listen on?'},
    })
    expect(prompted.memoryCount).toBeGreaterThan(0)
    const transcript = 'User: which port does staging use?\nAssistant: The staging database listens on port 5433.\nUser: remember that we deploy on Tuesdays'
    await call('POST /api/hooks/pre-compaction', {body: {...HOOK, trigger: 'auto', messageCount: 3, transcript}})
    await call('POST /api/hooks/compaction-complete', {body: {...HOOK, summary: 'Worked out the staging database port (5433).'}})
    await call('POST /api/hooks/session-end', {body: {...HOOK, reason: 'exit', transcript}})
    // Nothing said and no session: no session key in the answer.
    expect((await call('POST /api/hooks/session-end', {body: {harness: 'codex', reason: 'exit'}})).sessionKey).toBeNull()

    const found = await call('POST /api/sessions/search', {body: {query: 'staging'}})
    expect(found.hits.length).toBeGreaterThan(0)
    const sessions = await call('GET /api/sessions', {query: {limit: 10}})
    expect(sessions.sessions.length).toBeGreaterThan(0)
    await call('GET /api/sessions/:key', {params: {key: HOOK.sessionKey}})
    const receipts = await call('GET /api/sessions/:key/receipts', {params: {key: 'contract-session-2'}})
    expect(receipts.receipts.some((receipt: {memories: unknown[]}) => receipt.memories.length > 0)).toBe(true)
    await call('GET /api/sessions/:key/transcript', {params: {key: HOOK.sessionKey}})
  })

  it('MEMORY.md synthesis', async () => {
    await call('GET /api/hooks/synthesis/config')
    const synthesis = await call('POST /api/hooks/synthesis', {body: {harness: 'openclaw', maxMemories: 5}})
    await call('POST /api/hooks/synthesis/complete', {
      body: {harness: 'openclaw', content: '## Working memory\n- staging database: port 5433', baseHash: synthesis.baseHash},
    })
  })

  it('sources', async () => {
    const folder = path.join(daemon.temp.home, 'handbook')
    mkdirSync(folder, {recursive: true})
    writeFileSync(path.join(folder, 'README.md'), '# Handbook\n\nThe staging database listens on port 5433.\n')
    writeFileSync(path.join(folder, 'logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]))
    await call('POST /api/sources', {body: {path: folder, name: 'handbook'}})
    await call('GET /api/sources')
    expect((await call('POST /api/sources/search', {body: {query: 'staging database'}})).hits.length).toBeGreaterThan(0)
    await call('POST /api/sources/:name/reindex', {params: {name: 'handbook'}})
    await call('DELETE /api/sources/:name', {params: {name: 'handbook'}})
  })

  it('the agent network', async () => {
    const peers = await call('GET /api/agents/peers')
    expect(peers.peers.length).toBeGreaterThan(0)
    await call('POST /api/agents/messages', {body: {to: 'reviewer', body: 'Please look at the staging port change', subject: 'review', agentId: 'default'}})
    const sent = await call('POST /api/agents/messages', {body: {to: 'default', body: 'Looks good', agentId: 'reviewer', kind: 'request'}})
    const inbox = await call('GET /api/agents/inbox', {query: {agentId: 'default', state: 'all'}})
    expect(inbox.messages.length).toBeGreaterThan(0)
    await call('POST /api/agents/messages/:id/ack', {params: {id: sent.message.id}, body: {agentId: 'default'}})
    const stream = await daemon.request('GET', '/api/agents/stream?agentId=default&follow=false&lastEventId=0')
    expect(stream.status).toBe(200)
    expectEvents('GET /api/agents/stream', String(stream.body), ['ready', 'message', 'acked'])
  })

  it('keys, pairing and the audit trail', async () => {
    await call('GET /api/auth/whoami')
    const created = await call('POST /api/auth/api-keys', {body: {name: 'ci', role: 'agent', agentId: 'ci-agent', permissions: ['recall', 'remember']}})
    await call('GET /api/auth/whoami', {headers: {authorization: `Bearer ${created.apiKey.key}`}})
    const rotated = await call('POST /api/auth/api-keys/:idOrPrefix/rotate', {params: {idOrPrefix: created.apiKey.id}})
    await call('DELETE /api/auth/api-keys/:idOrPrefix', {params: {idOrPrefix: rotated.apiKey.prefix}})
    await call('GET /api/auth/api-keys')
    const pairing = await call('POST /api/auth/pair', {body: {connector: 'codex', agentId: 'laptop-codex'}})
    await call('POST /api/auth/pair/claim', {body: {code: pairing.code, machineId: 'laptop'}, via: 'tcp'})
    expect((await call('GET /api/auth/audit', {query: {limit: 50}})).events.length).toBeGreaterThan(0)
  })

  it('dashboard devices, their session and the dashboard routes', async () => {
    const link = await call('POST /api/devices/login-links', {body: {name: 'phone', ttlSeconds: 300}})
    expect((await call('GET /api/session')).device).toBeNull()

    const login = await raw('GET', link.path, {'sec-fetch-site': 'none'})
    expect(login.status).toBe(303)
    called.add('GET /login/:token')
    const cookie = String(login.headers['set-cookie']).split(';')[0]
    const session = await call('GET /api/session', {headers: {cookie}, via: 'tcp'})
    expect(session.device.current).toBe(true)

    const events = await raw('GET', '/api/dashboard/events', {cookie}, {until: '\n\n'})
    expect(events.status).toBe(200)
    expectEvents('GET /api/dashboard/events', events.text, ['hello'])

    expect((await call('GET /api/devices')).devices.length).toBe(1)
    await call('POST /api/session/logout', {headers: {cookie, 'x-csrf-token': session.csrfToken}, via: 'tcp'})
    await call('DELETE /api/devices/:id', {params: {id: session.device.id}})
    const settings = await call('GET /api/dashboard/settings')
    expect(settings.doctor.findings ?? settings.doctor.error).toBeDefined()

    const page = await raw('GET', '/', {'sec-fetch-site': 'none'})
    expect([200, 503]).toContain(page.status)
    expect(String(page.headers['content-type'])).toMatch(/^text\/html/)
    called.add('GET /')
    const asset = await raw('GET', '/assets/app.css', {})
    expect([200, 404]).toContain(asset.status)
    called.add('GET /assets/:name')
  })

  it('MCP over HTTP, whose tools call the routes above through the same client', async () => {
    const headers = {accept: 'application/json, text/event-stream'}
    const initialize = await daemon.request('POST', '/mcp', {
      headers,
      body: {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {protocolVersion: '2025-03-26', capabilities: {}, clientInfo: {name: 'contract-test', version: '1'}},
      },
    })
    expect(initialize.status).toBe(200)
    expect(initialize.body.result.serverInfo.name).toBe('signet')
    const search = await daemon.request('POST', '/mcp', {
      headers,
      body: {jsonrpc: '2.0', id: 2, method: 'tools/call', params: {name: 'memory_search', arguments: {query: 'staging database'}}},
    })
    expect(search.body.result.isError ?? false, JSON.stringify(search.body)).toBe(false)
    expect(search.body.result.content[0].text).toMatch(/^Found \d+ memor/)
    expect((await daemon.request('GET', '/mcp', {headers})).status).toBe(405)
    called.add('ALL /mcp')
  })

  it('health, status, embeddings, diagnostics and harnesses', async () => {
    await call('GET /health', {via: 'tcp'})
    const status = await call('GET /api/status')
    expect(status.memoryCount).toBeGreaterThan(0)
    const embedding = await call('GET /api/embedding/status')
    // The backfill answers NDJSON lines: each is checked against its line schema; without a provider it is a 409.
    const backfill = await daemon.request('POST', '/api/embedding/backfill', {body: {}})
    if (embedding.enabled) {
      expect(backfill.status).toBe(200)
      const lines = String(backfill.body)
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line))
      const schemas = API_CONTRACT['POST /api/embedding/backfill'].events
      for (const line of lines) expect(schemas[line.type as keyof typeof schemas].safeParse(line).success, JSON.stringify(line)).toBe(true)
      expect(lines.at(-1).type).toBe('done')
    } else {
      expect(backfill.status).toBe(409)
      expect(backfill.body.code).toBe('embedding_disabled')
    }
    called.add('POST /api/embedding/backfill')
    await call('GET /api/diagnostics/db')
    expect((await call('GET /api/harnesses')).harnesses.length).toBeGreaterThan(0)
    await call('POST /api/harnesses/regenerate')
  })

  it('forgetting a memory', async () => {
    await call('DELETE /api/memory/:id', {params: {id: memoryId}})
  })

  it('called every route of the contract', () => {
    expect(Object.keys(API_CONTRACT).filter((route) => !called.has(route as RouteKey))).toEqual([])
  })
})

describe('DaemonClient.call, typed by the contract', () => {
  const owner = () => new DaemonClient({url: daemon.url, socketPath: daemon.socketPath, validateAnswers: true})

  it('fills path parameters (encoded), sends the query and body, and answers the route type', async () => {
    const client = owner()
    const key = 'session with/slash & space'
    await client.call('POST /api/hooks/session-start', {body: {harness: 'codex', sessionKey: key, source: 'startup'}})
    const session = await client.call('GET /api/sessions/:key', {params: {key}, query: {agentId: 'default'}})
    expect(session.session.sessionKey).toBe(key)
    const stored = await client.call('POST /api/memory/remember', {body: {content: 'The client fills :id from params', tags: ['client']}})
    const changed = await client.call('PATCH /api/memory/:id', {params: {id: stored.id}, body: {importance: 0.9}})
    expect(changed.memory.importance).toBe(0.9)
    const listed = await client.call('GET /api/memories', {query: {limit: 1, tags: 'client'}})
    expect(listed.memories.map((memory) => memory.id)).toEqual([stored.id])
    // A route without a body still sends `{}` (the daemon refuses unknown fields, not an empty object).
    await client.call('POST /api/harnesses/regenerate')
    expect((await client.call('DELETE /api/memory/:id', {params: {id: stored.id}})).deleted).toBe(true)
  })

  it('with validateAnswers, refuses an answer outside the contract and names the field', async () => {
    // The real daemon answers; the transport plays a daemon of another version that renamed a field.
    const renamed = new DaemonClient({
      url: daemon.url,
      apiKey: daemon.adminToken(),
      validateAnswers: true,
      fetch: async (request) => {
        const answer = await fetch(request)
        const body = (await answer.json()) as {memoryCount: number}
        const {memoryCount, ...rest} = body
        return new Response(JSON.stringify({...rest, memory_count: memoryCount}), {status: answer.status, headers: {'content-type': 'application/json'}})
      },
    })
    const failure = await renamed.call('GET /api/status').catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(DaemonRequestError)
    expect((failure as DaemonRequestError).daemonCode).toBe('invalid_response')
    expect((failure as DaemonRequestError).message).toMatch(/GET \/api\/status outside the API contract: memoryCount: /)
    // Without validation the same answer is handed over as it came.
    const lenient = new DaemonClient({...renamed.options, validateAnswers: false})
    expect(await lenient.call('GET /api/status')).toHaveProperty('memory_count')
  })

  it('types requests and answers from the contract (checked by npm run check)', () => {
    // Never run: the @ts-expect-error lines fail the type check when the contract stops catching them.
    async function typed(client: DaemonClient) {
      const status = await client.call('GET /api/status')
      const count: number = status.memoryCount
      // @ts-expect-error the body is required
      await client.call('POST /api/memory/remember')
      // @ts-expect-error path parameters are required
      await client.call('DELETE /api/memory/:id')
      // @ts-expect-error an unknown body field
      await client.call('POST /api/memory/recall', {body: {query: 'x', lmit: 3}})
      // @ts-expect-error a server-sent-events route is not a JSON call
      await client.call('GET /api/agents/stream')
      // @ts-expect-error answers use camelCase
      const old: string = (await client.call('GET /api/memory/:id', {params: {id: 'x'}})).memory.created_at
      return [count, old]
    }
    expect(typeof typed).toBe('function')
  })
})
