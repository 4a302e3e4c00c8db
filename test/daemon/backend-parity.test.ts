import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {startTestDaemon, type TestDaemon} from '../helpers/daemon.js'
import {postgresCluster, postgresSkipReason} from '../helpers/postgres.js'

/*
 * One script of requests sent to a SQLite daemon and a PostgreSQL daemon, and their answers
 * compared after masking what is meant to differ (ids, times, durations): SQLite is the reference
 * behaviour, so any other difference — an order, a count, a null for an empty list, a number sent
 * as a string — is a PostgreSQL backend bug. In `npm run test:postgres` (not `npm test`: it starts
 * a PostgreSQL daemon whatever SIGNET_TEST_BACKEND says).
 */

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?Z$/
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const ID_KEYS = new Set(['id', 'memoryId', 'messageId', 'keyId', 'replyTo', 'thread', 'threadId', 'lastEventId', 'seq', 'keyPrefix', 'prefix'])
const VARYING_KEYS = new Set([
  'token',
  'path',
  'elapsedMs',
  'ms',
  'uptime',
  'pid',
  'url',
  'port',
  'startedAt',
  'workspace',
  'dbPath',
  'location',
  'version',
  'details',
  'journalMode',
  'sizeBytes',
  'backend',
  'code',
])

/** Ids become their order of first appearance (`<id 3>`), times `<time>` (still checked as ISO with Z), durations and places dropped. */
function masker() {
  const ids = new Map<string, string>()
  const mask = (value: unknown, key = ''): unknown => {
    if (Array.isArray(value)) return value.map((item) => mask(item, key))
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {}
      for (const [name, inner] of Object.entries(value)) {
        if (VARYING_KEYS.has(name) && !(name === 'code' && typeof inner === 'string' && !/^[A-Z0-9]{3}-[A-Z0-9]{3}$/.test(inner))) continue
        out[name] = mask(inner, name)
      }
      return out
    }
    if (typeof value === 'string') {
      if (ISO.test(value)) return '<time>'
      if (/\d{4}-\d{2}-\d{2}T/.test(value) && !ISO.test(value) && /At$|^at$|since|until|expires/i.test(key)) return `<time not ISO-with-Z: ${value}>`
      if (ID_KEYS.has(key) || /^(mem|key|msg|dev|sig)_[A-Za-z0-9_-]+$/.test(value) || UUID.test(value)) {
        if (!ids.has(value)) ids.set(value, `<id ${ids.size + 1}>`)
        return ids.get(value)
      }
      return value.replace(/sig_sk_[A-Za-z0-9_-]+/g, '<key>').replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, (id) => {
        if (!ids.has(id)) ids.set(id, `<id ${ids.size + 1}>`)
        return ids.get(id)!
      })
    }
    if (typeof value === 'number' && ID_KEYS.has(key)) {
      const text = `#${value}`
      if (!ids.has(text)) ids.set(text, `<id ${ids.size + 1}>`)
      return ids.get(text)
    }
    return value
  }
  return mask
}

/** The script: every route that reads or writes agent data, in an order that makes each answer depend on the earlier ones. */
async function script(daemon: TestDaemon): Promise<Array<[string, unknown]>> {
  const log: Array<[string, unknown]> = []
  const mask = masker()
  const call = async (label: string, method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
    const response = await daemon.request(method, path, {body, headers})
    log.push([label, {status: response.status, body: mask(response.body)}])
    return response.body
  }
  const project = {id: 'github.com/acme/api', cwd: '/src/api', gitRoot: '/src/api', gitRemote: 'github.com/acme/api'}
  const remembered: string[] = []
  const seeds: Array<Record<string, unknown>> = [
    // No tag such as `db` that the query plan adds for `database`: FTS5's porter stemmer also reads `dbs`
    // as `db` and counts it twice, PostgreSQL's snowball does not (a known stemmer difference, docs/postgres.md).
    {content: 'The staging database listens on port 5433', tags: ['infra', 'postgres'], project: 'github.com/acme/api', importance: 0.8},
    {content: 'Deploys go through the blue-green pipeline on Fridays', tags: ['deploy'], project: 'github.com/acme/api', pinned: true},
    {content: 'Alice owns the billing service', type: 'fact', importance: 0.7},
    {content: 'We decided to use pnpm over npm everywhere', type: 'decision', importance: 0.9},
    {content: 'Zed prefers tabs, Ärger über Leerzeichen', agentId: 'Zed', tags: ['Style', 'style']},
    {content: 'The mobile app ships through the app store pipeline', agentId: 'mobile-bot', project: 'github.com/acme/mobile'},
    {content: 'alice reviews the billing migrations', agentId: 'alice'},
    {content: 'Numbers: 0.1 + 0.2 is not 0.3, and 2^53 + 1 rounds', tags: ['math']},
  ]
  for (const seed of seeds) remembered.push(((await call('remember', 'POST', '/api/memory/remember', seed)) as {id: string}).id)
  await call('remember again (dedup)', 'POST', '/api/memory/remember', seeds[0])
  await call('import', 'POST', '/api/memory/import', {
    memories: [
      {content: 'Imported: the release train leaves on Tuesdays', tags: ['release'], createdAt: '2023-06-01T09:00:00.000Z'},
      {content: 'Imported: the cafeteria serves pizza on Tuesdays', project: 'github.com/acme/api', createdAt: '2023-06-02T09:00:00.000Z'},
      {content: 'The staging database listens on port 5433', tags: ['dup']},
    ],
  })
  await call('list', 'GET', '/api/memories?limit=50')
  await call('list every agent', 'GET', '/api/memories?limit=50&allAgents=true')
  await call('list page 2', 'GET', '/api/memories?limit=3&offset=3')
  await call('list by project', 'GET', '/api/memories?project=github.com/acme/api&limit=50')
  await call('list by type', 'GET', '/api/memories?type=decision')
  await call('list by tag', 'GET', '/api/memories?tags=infra')
  await call('list other agent', 'GET', '/api/memories?agentId=Zed')
  await call('get', 'GET', `/api/memory/${remembered[0]}`)
  await call('patch', 'PATCH', `/api/memory/${remembered[2]}`, {tags: ['people', 'billing'], importance: 0.75, pinned: true})
  await call('patch to a duplicate', 'PATCH', `/api/memory/${remembered[3]}`, {content: 'The staging database listens on port 5433'})
  await call('forget', 'DELETE', `/api/memory/${remembered[7]}`)
  await call('get forgotten', 'GET', `/api/memory/${remembered[7]}`)
  await call('remember forgotten again', 'POST', '/api/memory/remember', seeds[7])
  for (const query of ['staging database port', 'who owns billing', 'deploys on Fridays', 'pnpm or npm', 'release train Tuesdays', 'nothing matches xyzzy']) {
    await call(`recall ${query}`, 'POST', '/api/memory/recall', {query, limit: 5})
  }
  await call('recall in project', 'POST', '/api/memory/recall', {query: 'pipeline', project: 'github.com/acme/api'})
  await call('recall other agent', 'POST', '/api/memory/recall', {query: 'tabs spaces style', agentId: 'Zed'})

  await call('session-start', 'POST', '/api/hooks/session-start', {harness: 'claude-code', sessionKey: 's-1', machineId: 'laptop', project, source: 'startup'})
  await call('prompt', 'POST', '/api/hooks/user-prompt-submit', {
    harness: 'claude-code',
    sessionKey: 's-1',
    project,
    prompt: 'How do our deploys work on Fridays?',
  })
  await call('prompt again', 'POST', '/api/hooks/user-prompt-submit', {
    harness: 'claude-code',
    sessionKey: 's-1',
    project,
    prompt: 'And the deploys on Fridays, again?',
  })
  await call('pre-compaction', 'POST', '/api/hooks/pre-compaction', {
    harness: 'claude-code',
    sessionKey: 's-1',
    project,
    trigger: 'auto',
    transcript: 'User: we migrate payments\n\nAssistant: ok',
  })
  await call('session-end', 'POST', '/api/hooks/session-end', {
    harness: 'claude-code',
    sessionKey: 's-1',
    machineId: 'laptop',
    project,
    transcript: 'User: remember that the ledger service owns payments now\n\nAssistant: Noted, the ledger service owns payments.',
  })
  await call('codex session', 'POST', '/api/hooks/session-start', {
    harness: 'codex',
    sessionKey: 's-2',
    agentId: 'mobile-bot',
    machineId: 'phone',
    source: 'startup',
  })
  await call('sessions', 'GET', '/api/sessions')
  await call('sessions of every agent', 'GET', '/api/sessions?allAgents=true')
  await call('session', 'GET', '/api/sessions/s-1')
  await call('transcript', 'GET', '/api/sessions/s-1/transcript')
  await call('receipts', 'GET', '/api/sessions/s-1/receipts')
  await call('session search', 'POST', '/api/sessions/search', {query: 'ledger payments'})
  await call('harnesses', 'GET', '/api/harnesses')
  await call('synthesis', 'POST', '/api/hooks/synthesis', {harness: 'claude-code'})

  await call('send', 'POST', '/api/agents/messages', {agentId: 'alice', to: 'mobile-bot', body: 'ship the release after lunch'})
  const second = (await call('send two', 'POST', '/api/agents/messages', {agentId: 'Zed', to: 'mobile-bot', body: 'and bump the version'})) as {
    message: {id: string}
  }
  await call('inbox', 'GET', '/api/agents/inbox?agentId=mobile-bot')
  await call('ack', 'POST', `/api/agents/messages/${second.message.id}/ack`, {agentId: 'mobile-bot'})
  await call('inbox all', 'GET', '/api/agents/inbox?agentId=mobile-bot&state=all')
  await call('sent', 'GET', '/api/agents/inbox?agentId=alice&box=sent')
  await call('peers', 'GET', '/api/agents/peers')

  const key = (await call('key', 'POST', '/api/auth/api-keys', {
    name: 'laptop',
    role: 'agent',
    agentId: 'alice',
    connector: 'pi',
    scope: {project: 'github.com/acme/api'},
  })) as {apiKey: {id: string; key: string}}
  await call('keys', 'GET', '/api/auth/api-keys')
  await call('as the key: whoami', 'GET', '/api/auth/whoami', undefined, {authorization: `Bearer ${key.apiKey.key}`})
  await call('as the key: list', 'GET', '/api/memories', undefined, {authorization: `Bearer ${key.apiKey.key}`})
  await call('as the key: status', 'GET', '/api/status', undefined, {authorization: `Bearer ${key.apiKey.key}`})
  await call('rotate', 'POST', `/api/auth/api-keys/${key.apiKey.id}/rotate`, {})
  await call('pair', 'POST', '/api/auth/pair', {connector: 'pi', agentId: 'pi-phone'})
  await call('devices', 'POST', '/api/devices/login-links', {name: 'browser'})
  await call('device list', 'GET', '/api/devices')
  await call('audit', 'GET', '/api/auth/audit?limit=100')
  await call('status', 'GET', '/api/status')
  await call('embedding', 'GET', '/api/embedding/status')
  return log
}

describe.skipIf(!postgresCluster)(`the same requests answer alike on SQLite and PostgreSQL ${postgresSkipReason}`, () => {
  let sqlite: TestDaemon
  let postgres: TestDaemon

  beforeAll(async () => {
    sqlite = await startTestDaemon({backend: 'sqlite'})
    postgres = await startTestDaemon({backend: 'postgres'})
  })

  afterAll(async () => {
    await sqlite?.stop()
    await postgres?.stop()
  })

  it('every answer of the script matches, ids and times masked', async () => {
    const onSqlite = await script(sqlite)
    const onPostgres = await script(postgres)
    // Only the answers that differ, each under its label, so a failure shows them all at once.
    const differing = (answers: Array<[string, unknown]>, other: Array<[string, unknown]>) =>
      Object.fromEntries(answers.filter(([, answer], index) => JSON.stringify(answer) !== JSON.stringify(other[index]?.[1])))
    expect(onPostgres.map(([label]) => label)).toEqual(onSqlite.map(([label]) => label))
    expect(differing(onPostgres, onSqlite)).toEqual(differing(onSqlite, onPostgres))
  })
})
