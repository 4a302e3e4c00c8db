import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'
import type {Worker} from 'node:worker_threads'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {openDatabase, type SqliteDatabase} from '../../src/store/db.js'
import {MemoryStore} from '../../src/store/memories.js'
import {RecallWorkerPool, sqliteRanker} from '../../src/store/sqlite/recall-workers.js'

// The worker runs compiled code (a worker thread cannot load the TypeScript sources): the build's
// entry, as the daemon uses it. `npm run build` first, as for the spawned-daemon tests.
const BUILT_WORKER = pathToFileURL(fileURLToPath(new URL('../../dist/store/sqlite/recall-worker.js', import.meta.url)))

let dir: string
let db: SqliteDatabase
let store: MemoryStore
const pools: RecallWorkerPool[] = []

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'signet-recall-workers-'))
  db = openDatabase(path.join(dir, 'memories.db'))
  store = new MemoryStore(db)
  const topics = ['deploy pipeline', 'database migration', 'staging port', 'release checklist', 'cache warmup', 'api gateway']
  for (let i = 0; i < 120; i++) {
    store.remember({
      content: `note ${i}: the ${topics[i % topics.length]} uses ${topics[(i * 7) % topics.length]} on day ${i % 9}`,
      agentId: i % 5 === 0 ? 'other' : 'default',
      sessionKey: `s${i % 4}`,
      source: 'test',
    })
  }
})

afterEach(async () => {
  while (pools.length > 0) await pools.pop()!.close()
  db.close()
  rmSync(dir, {recursive: true, force: true})
})

function pool(size: number, script = BUILT_WORKER, sameFile?: () => boolean): RecallWorkerPool {
  const created = new RecallWorkerPool(path.join(dir, 'memories.db'), sqliteRanker(db), {size, script, sameFile})
  pools.push(created)
  return created
}

/** Workers start with the first recall (answered in-process while they start). */
async function untilReady(workers: RecallWorkerPool, count: number): Promise<void> {
  await workers.recall({query: 'warm up', agentId: 'default', limit: 1})
  while (workers.readyWorkers < count) await new Promise((resolve) => setTimeout(resolve, 20))
}

/** The thread behind a slot: stopping it from outside is what a crash looks like to the pool. */
function workerThread(workers: RecallWorkerPool, index: number): Worker {
  return (workers as unknown as {slots: Array<{worker: Worker}>}).slots[index].worker
}

const QUERIES = ['deploy pipeline', 'which port does staging use', 'database migration on day 3', 'cache', 'nothing matches zzzz']

describe('recall on worker threads', () => {
  it.runIf(existsSync(fileURLToPath(BUILT_WORKER)))('answers exactly as in-process recall, filters included', async () => {
    const workers = pool(2)
    await untilReady(workers, 2)
    const inProcess = sqliteRanker(db)
    for (const query of QUERIES) {
      for (const filters of [{}, {project: 'acme/api'}, {tags: ['x']}, {excludeIds: [store.list({agentId: 'default', limit: 1, offset: 0}).memories[0].id]}]) {
        const recall = {query, agentId: 'default', limit: 10, ...filters}
        const [viaWorker, local] = await Promise.all([workers.recall(recall), inProcess.recall(recall)])
        expect(viaWorker.hits.map((hit) => hit.memory.id)).toEqual(local.hits.map((hit) => hit.memory.id))
        expect(viaWorker.hits.map((hit) => hit.why)).toEqual(local.hits.map((hit) => hit.why))
        for (const [index, hit] of viaWorker.hits.entries()) expect(hit.score).toBeCloseTo(local.hits[index].score, 6)
        expect({...viaWorker, hits: []}).toEqual({...local, hits: []})
      }
    }
  })

  it.runIf(existsSync(fileURLToPath(BUILT_WORKER)))('answers as in-process on a store large enough that common words stop selecting', async () => {
    // Over 5,000 memories the ranker reads word counts through temporary tables of its own
    // connection (src/store/common-words.ts): a worker's read-only connection must manage too.
    const inputs = []
    for (let i = 0; i < 6000; i++)
      inputs.push({content: `filler ${i} the deploy notes say ${i % 3 === 0 ? 'pipeline' : 'nothing'} today`, agentId: 'default', source: 'test'})
    store.importMany(inputs)
    const workers = pool(1)
    await untilReady(workers, 1)
    const inProcess = sqliteRanker(db)
    for (const query of ['deploy pipeline day 3', 'the notes say today', 'staging port']) {
      const recall = {query, agentId: 'default', limit: 10}
      const [viaWorker, local] = await Promise.all([workers.recall(recall), inProcess.recall(recall)])
      expect(viaWorker.hits.map((hit) => hit.memory.id)).toEqual(local.hits.map((hit) => hit.memory.id))
      expect(viaWorker.hits.length).toBeGreaterThan(0)
    }
  })

  it.runIf(existsSync(fileURLToPath(BUILT_WORKER)))('sees every write committed before the recall (read-your-writes)', async () => {
    const workers = pool(2)
    await untilReady(workers, 2)
    for (let i = 0; i < 40; i++) {
      const word = `quokka${i}zebra`
      const {memory} = store.remember({content: `the ${word} fact number ${i}`, agentId: 'default', source: 'test'})
      const {hits} = await workers.recall({query: word, agentId: 'default', limit: 3})
      expect(hits[0]?.memory.id).toBe(memory.id)
      store.forget(memory.id, 'default')
      expect((await workers.recall({query: word, agentId: 'default', limit: 3})).hits).toEqual([])
    }
  })

  it.runIf(existsSync(fileURLToPath(BUILT_WORKER)))('fails the recall a dying worker held, then replaces the worker', async () => {
    const workers = pool(1)
    await untilReady(workers, 1)
    const held = workers.recall({query: 'deploy pipeline', agentId: 'default', limit: 10})
    await workerThread(workers, 0).terminate()
    await expect(held).rejects.toThrow(/recall worker stopped/)
    await untilReady(workers, 1)
    const {hits} = await workers.recall({query: 'deploy pipeline', agentId: 'default', limit: 10})
    expect(hits.length).toBeGreaterThan(0)
  })

  it.runIf(existsSync(fileURLToPath(BUILT_WORKER)))('starts no worker before the first recall', async () => {
    const workers = pool(2)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(workers.readyWorkers).toBe(0)
    await untilReady(workers, 2)
  })

  it.runIf(existsSync(fileURLToPath(BUILT_WORKER)))('starts no worker once the file at the path is not the one written', async () => {
    const workers = pool(2, BUILT_WORKER, () => false)
    const expected = await sqliteRanker(db).recall({query: 'deploy pipeline', agentId: 'default', limit: 5})
    for (let i = 0; i < 5; i++) {
      const {hits} = await workers.recall({query: 'deploy pipeline', agentId: 'default', limit: 5})
      expect(hits.map((hit) => hit.memory.id)).toEqual(expected.hits.map((hit) => hit.memory.id))
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect(workers.readyWorkers).toBe(0)
  })

  it('recalls in-process when no worker can start', async () => {
    const broken = path.join(dir, 'broken-worker.mjs')
    writeFileSync(broken, "throw new Error('cannot start')\n")
    const workers = pool(2, pathToFileURL(broken))
    const expected = await sqliteRanker(db).recall({query: 'deploy pipeline', agentId: 'default', limit: 5})
    for (let i = 0; i < 20; i++) {
      const {hits} = await workers.recall({query: 'deploy pipeline', agentId: 'default', limit: 5})
      expect(hits.map((hit) => hit.memory.id)).toEqual(expected.hits.map((hit) => hit.memory.id))
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    expect(workers.readyWorkers).toBe(0)
  })

  it.runIf(existsSync(fileURLToPath(BUILT_WORKER)))('close() lets the workers finish what they hold and stops them', async () => {
    const workers = pool(2)
    await untilReady(workers, 2)
    const answers = Promise.all(QUERIES.map((query) => workers.recall({query, agentId: 'default', limit: 10})))
    await workers.close()
    expect((await answers).length).toBe(QUERIES.length)
    expect(workers.readyWorkers).toBe(0)
    // After close, recall still answers (in-process): a request that raced the shutdown gets an answer.
    expect((await workers.recall({query: 'cache', agentId: 'default', limit: 3})).hits.length).toBeGreaterThan(0)
  })
})
