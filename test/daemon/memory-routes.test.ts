import http from 'node:http'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {PostgresStorage} from '../../src/store/postgres/storage.js'
import {SqliteStorage} from '../../src/store/sqlite/storage.js'
import {startTestDaemon, type TestDaemon} from '../helpers/daemon.js'

let daemon: TestDaemon

beforeAll(async () => {
  daemon = await startTestDaemon()
})

afterAll(async () => {
  await daemon.stop()
})

describe('health and status', () => {
  it('health is open and reveals no paths or counts', async () => {
    const {status, body} = await daemon.request('GET', '/health')
    expect(status).toBe(200)
    expect(Object.keys(body).sort()).toEqual(['status', 'uptime', 'version'])
  })

  it('status reports bind, modes and counts', async () => {
    const {status, body} = await daemon.request('GET', '/api/status')
    expect(status).toBe(200)
    expect(body).toMatchObject({bindHost: '127.0.0.1', networkMode: 'localhost', authMode: 'local', pid: process.pid})
    expect(typeof body.memoryCount).toBe('number')
  })
})

describe('memory round trips', () => {
  it('remember → recall → get → patch → delete', async () => {
    const created = await daemon.request('POST', '/api/memory/remember', {
      body: {content: 'Deploys go through the blue-green pipeline on Fridays', tags: ['Deploy', 'ops'], importance: 0.8, project: 'acme/api'},
    })
    expect(created.status).toBe(201)
    expect(created.body.deduped).toBe(false)
    const id = created.body.id as string
    expect(created.body.memory.tags).toEqual(['deploy', 'ops'])

    const recalled = await daemon.request('POST', '/api/memory/recall', {body: {query: 'how do deploys work?'}})
    expect(recalled.status).toBe(200)
    expect(recalled.body.results[0].id).toBe(id)
    expect(recalled.body.results[0].score).toBeGreaterThan(0)
    expect(recalled.body.results[0].score).toBeLessThanOrEqual(1)

    const fetched = await daemon.request('GET', `/api/memory/${id}`)
    expect(fetched.body.memory.content).toContain('blue-green')

    const patched = await daemon.request('PATCH', `/api/memory/${id}`, {body: {importance: 0.3, tags: ['x']}})
    expect(patched.status).toBe(200)
    expect(patched.body.memory).toMatchObject({importance: 0.3, tags: ['x']})

    const deleted = await daemon.request('DELETE', `/api/memory/${id}`)
    expect(deleted.body).toEqual({id, deleted: true})
    expect((await daemon.request('GET', `/api/memory/${id}`)).status).toBe(404)
    expect((await daemon.request('DELETE', `/api/memory/${id}`)).status).toBe(404)
    const after = await daemon.request('POST', '/api/memory/recall', {body: {query: 'blue-green pipeline'}})
    expect(after.body.results.map((row: {id: string}) => row.id)).not.toContain(id)
  })

  it('dedups normalised content per agent, not across agents', async () => {
    const first = await daemon.request('POST', '/api/memory/remember', {body: {content: 'Tabs, not spaces.'}})
    const second = await daemon.request('POST', '/api/memory/remember', {body: {content: '  tabs,   NOT spaces '}})
    expect(second.status).toBe(200)
    expect(second.body).toMatchObject({id: first.body.id, deduped: true})
    const other = await daemon.request('POST', '/api/memory/remember', {body: {content: 'Tabs, not spaces.', agentId: 'other-agent'}})
    expect(other.body.deduped).toBe(false)
    expect(other.body.id).not.toBe(first.body.id)
  })

  it('a forgotten memory can be remembered again', async () => {
    const first = await daemon.request('POST', '/api/memory/remember', {body: {content: 'ephemeral fact 42'}})
    await daemon.request('DELETE', `/api/memory/${first.body.id}`)
    const again = await daemon.request('POST', '/api/memory/remember', {body: {content: 'ephemeral fact 42'}})
    expect(again.body.deduped).toBe(false)
  })

  it('idempotency keys make replays return the first write', async () => {
    const body = {content: 'spooled write', idempotencyKey: 'spool-1'}
    const first = await daemon.request('POST', '/api/memory/remember', {body})
    const replay = await daemon.request('POST', '/api/memory/remember', {body: {...body, content: 'spooled write (edited)'}})
    expect(replay.body).toMatchObject({id: first.body.id, deduped: true})
  })

  it('lists with paging and filters', async () => {
    for (let index = 0; index < 5; index++) {
      await daemon.request('POST', '/api/memory/remember', {body: {content: `paged item ${index}`, project: 'paging', tags: index % 2 ? ['odd'] : []}})
    }
    const page = await daemon.request('GET', '/api/memories?project=paging&limit=2&offset=0')
    expect(page.body.total).toBe(5)
    expect(page.body.memories).toHaveLength(2)
    const odd = await daemon.request('GET', '/api/memories?project=paging&tags=odd')
    expect(odd.body.total).toBe(2)
    expect((await daemon.request('GET', '/api/memories?limit=0')).body).toMatchObject({code: 'invalid_request', field: 'limit'})
  })

  it('PATCH to content that another memory has is a 409', async () => {
    const a = await daemon.request('POST', '/api/memory/remember', {body: {content: 'conflict a'}})
    await daemon.request('POST', '/api/memory/remember', {body: {content: 'conflict b'}})
    const clash = await daemon.request('PATCH', `/api/memory/${a.body.id}`, {body: {content: 'Conflict B'}})
    expect(clash.status).toBe(409)
    expect(clash.body.code).toBe('duplicate_content')
  })
})

describe('bad input', () => {
  const hostile = [
    '"',
    '*',
    '-',
    'OR',
    'AND NOT',
    'NEAR(a b)',
    'col:term',
    '"unbalanced',
    '^start',
    'über café 東京',
    '',
    '   ',
    '()',
    '\u0000',
    'a'.repeat(5000),
  ]
  for (const query of hostile) {
    it(`recall never fails on ${JSON.stringify(query.slice(0, 20))}`, async () => {
      const {status, body} = await daemon.request('POST', '/api/memory/recall', {body: {query}})
      expect(status).toBe(200)
      expect(Array.isArray(body.results)).toBe(true)
    })
  }

  it('malformed JSON is a 400 naming the problem', async () => {
    const {status, body} = await daemon.request('POST', '/api/memory/remember', {rawBody: '{"content": ', headers: {'content-type': 'application/json'}})
    expect(status).toBe(400)
    expect(body.code).toBe('invalid_json')
    expect(body.error).toMatch(/not valid JSON/)
  })

  it('a missing or wrong-typed field is named', async () => {
    const missing = await daemon.request('POST', '/api/memory/remember', {body: {tags: ['x']}})
    expect(missing.status).toBe(400)
    expect(missing.body.field).toBe('content')
    const wrong = await daemon.request('POST', '/api/memory/remember', {body: {content: 'x', importance: 7}})
    expect(wrong.body).toMatchObject({code: 'invalid_request', field: 'importance'})
    const array = await daemon.request('POST', '/api/memory/recall', {rawBody: '[1,2]', headers: {'content-type': 'application/json'}})
    expect(array.status).toBe(400)
  })

  it('X-Signet-Harness is stored as provenance when well formed, and a malformed one is named and writes nothing', async () => {
    const good = await daemon.request('POST', '/api/memory/remember', {body: {content: 'provenance from codex'}, headers: {'X-Signet-Harness': 'codex'}})
    expect(good.status).toBe(201)
    expect(good.body.memory.harness).toBe('codex')
    for (const bad of ['x'.repeat(65), 'claude code', '../etc', '-flag', '<script>']) {
      const rejected = await daemon.request('POST', '/api/memory/remember', {body: {content: `provenance ${bad}`}, headers: {'X-Signet-Harness': bad}})
      expect(rejected.status, bad).toBe(400)
      expect(rejected.body).toMatchObject({code: 'invalid_request', field: 'X-Signet-Harness'})
    }
    const listed = await daemon.request('GET', '/api/memories?limit=100')
    expect(listed.body.memories.filter((memory: {content: string}) => memory.content.startsWith('provenance '))).toHaveLength(1)
  })

  it('bodies over 1 MiB get 413 before parsing', async () => {
    const {status, body} = await daemon.request('POST', '/api/memory/remember', {
      rawBody: 'x'.repeat(1024 * 1024 + 10),
      headers: {'content-type': 'application/json'},
    })
    expect(status).toBe(413)
    expect(body.code).toBe('payload_too_large')
  })

  it('chunked bodies (no Content-Length) are limited as they stream, and small ones work', async () => {
    const chunked = (chunks: string[]) =>
      new Promise<{status: number; body: any}>((resolve, reject) => {
        // On the owner socket, as the CLI sends it.
        const request = http.request(
          {socketPath: daemon.socketPath, path: '/api/memory/remember', method: 'POST', headers: {host: 'localhost', 'content-type': 'application/json'}},
          (response) => {
            let text = ''
            response.on('data', (chunk) => (text += chunk))
            response.on('end', () => resolve({status: response.statusCode ?? 0, body: JSON.parse(text)}))
          },
        )
        request.on('error', reject)
        for (const chunk of chunks) request.write(chunk)
        request.end()
      })
    const small = await chunked(['{"content": "sent in ', 'two chunks"}'])
    expect(small.status).toBe(201)
    expect(small.body.memory.content).toBe('sent in two chunks')
    const big = await chunked(['{"content": "', ...Array.from({length: 17}, () => 'y'.repeat(64 * 1024)), '"}'])
    expect(big).toMatchObject({status: 413, body: {code: 'payload_too_large'}})
  })

  it('ids that are not UUIDs, and unknown routes, are clean 400/404s', async () => {
    expect((await daemon.request('GET', '/api/memory/..%2F..%2Fetc%2Fpasswd')).status).toBe(400)
    const unknown = await daemon.request('GET', '/api/nope')
    expect(unknown).toMatchObject({status: 404, body: {code: 'not_found'}})
  })

  it('the daemon is still healthy afterwards', async () => {
    expect((await daemon.request('GET', '/health')).status).toBe(200)
  })
})

describe('secrets', () => {
  it('are redacted on PATCH as on remember', async () => {
    const created = await daemon.request('POST', '/api/memory/remember', {body: {content: 'deploy key is sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'}})
    expect(created.body.memory.content).not.toContain('sk-ant-api03-AAAA')
    const patched = await daemon.request('PATCH', `/api/memory/${created.body.id}`, {body: {content: 'now it is ghp_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB'}})
    expect(patched.status).toBe(200)
    expect(patched.body.memory.content).not.toContain('ghp_BBBB')
  })
})

describe('bulk import', () => {
  it('stores a batch in one go: searchable at once, deduped against existing memories and within the batch, secrets redacted', async () => {
    await daemon.request('POST', '/api/memory/remember', {body: {content: 'Imports keep the original dates of old notes'}})
    const memories = [
      {content: 'The billing service deploys every Tuesday at 14:00', tags: ['billing'], createdAt: '2024-03-05T10:00:00Z'},
      {content: 'imports keep the original dates of old notes'},
      {content: 'The billing service deploys every Tuesday at 14:00'},
      {content: 'Rotate the token ghp_0123456789abcdefghijklmnopqrstuvwxyz after the audit', idempotencyKey: 'import-audit-1'},
      {content: 'Payments run on Postgres 16 with logical replication', project: 'github.com/acme/payments'},
    ]
    const first = await daemon.request('POST', '/api/memory/import', {body: {memories}, headers: {'X-Signet-Harness': 'codex'}})
    expect(first).toMatchObject({status: 200, body: {received: 5, imported: 3, deduped: 2}})
    const again = await daemon.request('POST', '/api/memory/import', {body: {memories}})
    expect(again.body).toMatchObject({imported: 0, deduped: 5})

    const recalled = await daemon.request('POST', '/api/memory/recall', {body: {query: 'when does billing deploy?'}})
    const billing = recalled.body.results.find((hit: {content: string}) => hit.content.includes('billing service'))
    expect(billing).toMatchObject({harness: 'codex', tags: ['billing'], createdAt: '2024-03-05T10:00:00.000Z'})
    const listed = await daemon.request('GET', '/api/memories?limit=500')
    expect(listed.body.memories.find((memory: {id: string}) => memory.id === billing.id)).toMatchObject({source: 'import'})
    const contents = listed.body.memories.map((memory: {content: string}) => memory.content)
    expect(contents.filter((content: string) => content.includes('billing service'))).toHaveLength(1)
    expect(contents.join('\n')).not.toContain('ghp_0123456789')
    expect(contents).toContain('Rotate the token [REDACTED:github-token] after the audit')
    const scoped = await daemon.request('POST', '/api/memory/recall', {body: {query: 'postgres replication', project: 'github.com/acme/payments'}})
    expect(scoped.body.results[0].content).toContain('logical replication')
  })

  it('a bad item is named by its index and nothing of the batch is stored', async () => {
    const before = (await daemon.request('GET', '/api/memories?limit=1')).body.total
    const bad = await daemon.request('POST', '/api/memory/import', {body: {memories: [{content: 'fine import line'}, {content: '   '}]}})
    expect(bad.status).toBe(400)
    expect(bad.body).toMatchObject({code: 'invalid_request', field: 'memories.1.content'})
    // The machine belongs to the batch, not to an item (an item may name its agent: whole-store exports do).
    const unknown = await daemon.request('POST', '/api/memory/import', {body: {memories: [{content: 'x', machineId: 'laptop'}]}})
    expect(unknown.body.field).toBe('memories.0.machineId')
    expect((await daemon.request('POST', '/api/memory/import', {body: {memories: []}})).body.field).toBe('memories')
    expect((await daemon.request('GET', '/api/memories?limit=1')).body.total).toBe(before)
  })

  it('a failure inside the transaction leaves the search index and its trigger intact', async () => {
    const poison = await poisonMemoryInserts(daemon)
    try {
      const failed = await daemon.request('POST', '/api/memory/import', {body: {memories: [{content: 'before the poison pill'}, {content: 'poison'}]}})
      expect(failed.status).toBe(500)
    } finally {
      await poison.remove()
    }
    expect(await poison.searchIndexTriggers()).toBe(1)
    expect((await daemon.request('POST', '/api/memory/recall', {body: {query: 'poison pill'}})).body.results).toEqual([])
    const later = await daemon.request('POST', '/api/memory/remember', {body: {content: 'Written after a failed import, still searchable'}})
    expect(later.status).toBe(201)
    const found = await daemon.request('POST', '/api/memory/recall', {body: {query: 'failed import searchable'}})
    expect(found.body.results[0].content).toBe('Written after a failed import, still searchable')
  })
})

/**
 * A trigger that fails any insert of a memory whose content is `poison`, on the daemon's own
 * backend, and how many of the backend's search-index triggers on memories are left (the failure
 * must not take them with it: SQLite's FTS insert trigger, PostgreSQL's term-index one).
 */
async function poisonMemoryInserts(target: TestDaemon): Promise<{remove(): Promise<void>; searchIndexTriggers(): Promise<number>}> {
  const {storage} = target.context
  if (storage instanceof SqliteStorage) {
    const db = storage.database
    db.exec("CREATE TEMP TRIGGER fail_on_poison BEFORE INSERT ON memories WHEN new.content = 'poison' BEGIN SELECT RAISE(ABORT, 'poisoned'); END")
    return {
      remove: async () => void db.exec('DROP TRIGGER temp.fail_on_poison'),
      searchIndexTriggers: async () => db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name = 'memories_fts_insert'").all().length,
    }
  }
  if (!(storage instanceof PostgresStorage)) throw new Error(`no poison trigger for ${storage.backend}`)
  const {pool} = storage
  await pool.query(`CREATE FUNCTION test_fail_on_poison() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.content = 'poison' THEN RAISE EXCEPTION 'poisoned'; END IF;
      RETURN NEW;
    END $$`)
  await pool.query('CREATE TRIGGER test_fail_on_poison BEFORE INSERT ON memories FOR EACH ROW EXECUTE FUNCTION test_fail_on_poison()')
  return {
    remove: async () => {
      await pool.query('DROP TRIGGER test_fail_on_poison ON memories')
      await pool.query('DROP FUNCTION test_fail_on_poison()')
    },
    searchIndexTriggers: async () =>
      (await pool.query("SELECT 1 FROM pg_trigger WHERE tgname = 'memories_terms_insert' AND tgrelid = 'memories'::regclass")).rowCount ?? 0,
  }
}
