import {mkdtempSync, rmSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {startServer} from '../../src/daemon/server.js'
import {openDatabase} from '../../src/store/db.js'
import {EmbeddingIndexer} from '../../src/store/embed/indexer.js'
import {StaticVectorEmbedder} from '../../src/store/embed/static-vectors.js'
import {MemoryStore} from '../../src/store/memories.js'
import {startTestDaemon, type TestDaemon, sqliteDatabaseOf} from '../helpers/daemon.js'
import {type EmbeddingService, startEmbeddingService} from './embedding-service.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

const embeddingYaml = (lines: string[]) => ['version: 1', 'embedding:', ...lines.map((line) => `  ${line}`), ''].join('\n')

async function daemonWith(yaml: string): Promise<TestDaemon> {
  const daemon = await startTestDaemon({agentYaml: yaml})
  cleanups.push(() => daemon.stop())
  return daemon
}

async function service(): Promise<EmbeddingService> {
  const started = await startEmbeddingService()
  cleanups.push(() => started.close())
  return started
}

const recall = (daemon: {request: TestDaemon['request']}, query: string) => daemon.request('POST', '/api/memory/recall', {body: {query}})

describe('recall with an HTTP embedder', () => {
  it('fuses vectors once the background indexer has embedded the memories', async () => {
    const ollama = await service()
    const daemon = await daemonWith(embeddingYaml(['provider: ollama', `baseUrl: ${ollama.url}`, 'model: letters']))
    await daemon.request('POST', '/api/memory/remember', {body: {content: 'the staging database listens on port 5433'}})
    await daemon.request('POST', '/api/memory/remember', {body: {content: 'lunch is at noon'}})
    await expect
      .poll(async () => (await daemon.request('GET', '/api/embedding/status')).body, {timeout: 5000})
      .toMatchObject({
        enabled: true,
        provider: 'ollama',
        model: 'letters',
        dimensions: 26,
        indexed: 2,
        pending: 0,
      })
    const {status, body} = await recall(daemon, 'staging database port')
    expect(status).toBe(200)
    expect(body.meta.method).toBe('hybrid')
    expect(body.meta.vector).toMatchObject({status: 'used', provider: 'ollama', model: 'letters'})
    expect(body.results[0].content).toContain('staging')
    expect(body.results[0].source).toBe('hybrid')
  })

  it('answers lexically within the budget when the embedder is slow, and says so', async () => {
    const slow = await service()
    slow.delayMs = 5000
    const daemon = await daemonWith(embeddingYaml(['provider: ollama', `baseUrl: ${slow.url}`, 'promptTimeoutMs: 150']))
    await daemon.request('POST', '/api/memory/remember', {body: {content: 'the staging database listens on port 5433'}})
    const started = performance.now()
    const {status, body} = await recall(daemon, 'staging database')
    const elapsed = performance.now() - started
    expect(status).toBe(200)
    expect(elapsed).toBeLessThan(1500)
    expect(body.meta.method).toBe('bm25')
    expect(body.meta.vector).toMatchObject({status: 'timeout', provider: 'ollama'})
    expect(body.meta.vector.ms).toBeGreaterThanOrEqual(140)
    expect(body.results.map((hit: {content: string}) => hit.content)).toEqual(['the staging database listens on port 5433'])
  })

  it('answers lexically when the embedder is down, and says so', async () => {
    const down = await service()
    down.failWith = 503
    const daemon = await daemonWith(embeddingYaml(['provider: openai', `baseUrl: ${down.url}`]))
    await daemon.request('POST', '/api/memory/remember', {body: {content: 'deploys happen on fridays'}})
    const {body} = await recall(daemon, 'deploys fridays')
    expect(body.meta.vector).toMatchObject({status: 'error', provider: 'openai'})
    expect(body.meta.vector.reason).toMatch(/HTTP 503/)
    expect(body.results).toHaveLength(1)
    await expect.poll(async () => (await daemon.request('GET', '/api/embedding/status')).body.lastError, {timeout: 5000}).toMatch(/HTTP 503/)
  })
})

describe('backfill', () => {
  it('embeds memories stored before a provider was configured, when the daemon restarts with one', async () => {
    const first = await startTestDaemon({agentYaml: embeddingYaml(['provider: none'])})
    cleanups.push(async () => first.temp.cleanup())
    for (const content of ['we adopted a kitten from the shelter', 'the invoice is overdue', 'standup moved to nine thirty']) {
      await first.request('POST', '/api/memory/remember', {body: {content}})
    }
    expect((await first.request('GET', '/api/embedding/status')).body).toMatchObject({enabled: false, provider: 'none'})
    expect((await recall(first, 'cats and pets')).body.meta.vector.status).toBe('disabled')
    await first.close()

    writeFileSync(path.join(first.workspace, 'agent.yaml'), embeddingYaml(['provider: local']))
    const second = await startServer({workspace: first.workspace, port: 0})
    cleanups.push(() => second.close())
    // The owner over TCP: this start's admin token.
    const owner = {authorization: `Bearer ${readFileSync(second.context.paths.adminTokenFile, 'utf8').trim()}`}
    const get = (route: string) => fetch(`${second.url}${route}`, {headers: owner}).then((response) => response.json() as Promise<any>)
    await expect.poll(() => get('/api/embedding/status'), {timeout: 5000}).toMatchObject({provider: 'local', indexed: 3, pending: 0})
    const response = await fetch(`${second.url}/api/memory/recall`, {
      method: 'POST',
      headers: {...owner, 'content-type': 'application/json'},
      body: JSON.stringify({query: 'cats and pets'}),
    })
    const body = (await response.json()) as any
    expect(body.meta.vector.status).toBe('used')
    expect(body.results[0].content).toContain('kitten')
  })

  it('POST /api/embedding/backfill streams NDJSON progress to the owner and refuses narrower keys', async () => {
    const ollama = await service()
    ollama.failWith = 500
    const daemon = await daemonWith(embeddingYaml(['provider: ollama', `baseUrl: ${ollama.url}`, 'model: letters']))
    for (let i = 0; i < 40; i++) await daemon.request('POST', '/api/memory/remember', {body: {content: `release note ${i}`}})
    ollama.failWith = undefined
    const operator = await daemon.request('POST', '/api/auth/api-keys', {body: {name: 'ops', role: 'operator'}})
    const refused = await daemon.request('POST', '/api/embedding/backfill', {body: {}, headers: {authorization: `Bearer ${operator.body.apiKey.key}`}})
    expect(refused).toMatchObject({status: 403})
    expect((await daemon.request('POST', '/api/embedding/backfill', {body: {provider: 'openai'}})).status).toBe(400)
    const answer = await daemon.request('POST', '/api/embedding/backfill', {body: {}})
    expect(answer.status).toBe(200)
    expect(answer.headers.get('content-type')).toMatch(/application\/x-ndjson/)
    const lines = (answer.body as string)
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(lines[0]).toMatchObject({type: 'progress', done: 0})
    expect(lines.at(-1)).toMatchObject({type: 'done', provider: 'ollama', model: 'letters'})
    expect((await daemon.request('GET', '/api/embedding/status')).body).toMatchObject({indexed: 40, pending: 0})
  })

  it('re-embeds a memory whose content changed', async () => {
    const daemon = await daemonWith(embeddingYaml(['provider: local']))
    const created = await daemon.request('POST', '/api/memory/remember', {body: {content: 'the cat sleeps all day'}})
    await expect.poll(async () => (await daemon.request('GET', '/api/embedding/status')).body.pending, {timeout: 5000}).toBe(0)
    const patched = await daemon.request('PATCH', `/api/memory/${created.body.id}`, {body: {content: 'the invoice is overdue'}})
    expect(patched.status).toBe(200)
    const db = sqliteDatabaseOf(daemon)
    const stateMatches = () =>
      db
        .prepare(`SELECT s.content_hash = m.content_hash AS fresh FROM memory_vector_state s JOIN memories m ON m.seq = s.seq WHERE m.id = ?`)
        .pluck()
        .get(created.body.id)
    await expect.poll(stateMatches, {timeout: 5000}).toBe(1)
    const {body} = await recall(daemon, 'payment bills')
    expect(body.results[0]?.content).toBe('the invoice is overdue')
  })

  it('reports progress batch by batch up to the total, and has nothing left to do after', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'signet-backfill-'))
    const db = openDatabase(path.join(dir, 'memories.db'))
    cleanups.push(async () => {
      db.close()
      rmSync(dir, {recursive: true, force: true})
    })
    const store = new MemoryStore(db)
    for (let i = 0; i < 600; i++) store.remember({content: `memory number ${i} about topic ${i % 7}`, agentId: 'default'})
    const indexer = new EmbeddingIndexer(db, StaticVectorEmbedder.shared())
    const seen: number[] = []
    const result = await indexer.backfill((progress) => {
      expect(progress.total).toBe(600)
      seen.push(progress.done)
    })
    expect(result).toEqual({done: 600, total: 600, failed: 0})
    expect(seen[0]).toBe(0)
    expect(seen.at(-1)).toBe(600)
    expect(seen.length).toBeGreaterThan(2)
    expect([...seen].sort((a, b) => a - b)).toEqual(seen)
    expect(indexer.status()).toMatchObject({indexed: 600, pending: 0})
    expect(await indexer.backfill()).toEqual({done: 0, total: 0, failed: 0})
  })
})
