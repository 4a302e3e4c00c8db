import Database from 'better-sqlite3'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {workspacePaths} from '../../src/config/paths.js'
import {initWorkspace} from '../../src/config/workspace.js'
import {sqliteRanker} from '../../src/store/sqlite/recall-workers.js'
import {makeTempHome, type TempHome} from '../helpers/temp-home.js'
import {spawnDaemon, type SpawnedDaemon} from '../reliability/support/spawned-daemon.js'

// A real daemon (the built CLI) ranking recalls on two worker threads (src/store/sqlite/recall-workers.ts),
// against the same ranker run in this process over the same database file.

const WORKERS = 2
let temp: TempHome
let daemon: SpawnedDaemon

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = daemon.ownerHeaders()) {
  const response = await fetch(`${daemon.url}${path}`, {
    method,
    headers: {...headers, 'content-type': 'application/json'},
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return {status: response.status, body: (await response.json()) as any}
}

beforeAll(async () => {
  temp = makeTempHome()
  initWorkspace(temp.workspace)
  daemon = await spawnDaemon({workspace: temp.workspace, env: {...temp.env, SIGNET_RECALL_WORKERS: String(WORKERS)}})
  const topics = ['deploy pipeline', 'database migration', 'staging port', 'release checklist', 'cache warmup', 'api gateway']
  const memories = Array.from({length: 300}, (_, i) => ({
    content: `note ${i}: the ${topics[i % topics.length]} depends on the ${topics[(i * 7 + 3) % topics.length]} since day ${i % 11}`,
    tags: i % 3 === 0 ? ['ops'] : [],
    project: i % 4 === 0 ? 'acme/api' : undefined,
  }))
  expect((await call('POST', '/api/memory/import', {memories})).status).toBe(200)
  // Workers start with the first recall (answered in-process meanwhile).
  expect((await call('POST', '/api/memory/recall', {query: 'warm up', limit: 1})).status).toBe(200)
  for (;;) {
    const {body} = await call('GET', '/api/diagnostics/db')
    if (body.details.recallWorkers === WORKERS) break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
})

afterAll(async () => {
  await daemon?.kill('SIGTERM')
  temp?.cleanup()
})

describe('recall through worker threads in a running daemon', () => {
  it('answers as the in-process ranker does over the same file', async () => {
    const db = new Database(workspacePaths(temp.workspace).dbPath, {readonly: true})
    try {
      const ranker = sqliteRanker(db)
      for (const query of ['deploy pipeline', 'which port does staging use', 'database migration since day 3', 'cache', 'zzzz nothing']) {
        for (const filters of [{}, {project: 'acme/api'}, {tags: ['ops']}]) {
          const {status, body} = await call('POST', '/api/memory/recall', {query, limit: 10, ...filters})
          expect(status).toBe(200)
          const local = await ranker.recall({query, agentId: 'default', limit: 10, ...filters})
          expect(body.results.map((hit: {id: string}) => hit.id)).toEqual(local.hits.map((hit) => hit.memory.id))
          expect(body.results.map((hit: {why: unknown}) => hit.why)).toEqual(local.hits.map((hit) => hit.why))
          for (const [index, hit] of body.results.entries()) expect(hit.score).toBeCloseTo(local.hits[index].score, 2)
        }
      }
    } finally {
      db.close()
    }
  })

  it('a client finds what it has just written, under concurrent load from other keys', async () => {
    const keys: string[] = []
    for (let i = 0; i < 8; i++) {
      const {status, body} = await call('POST', '/api/auth/api-keys', {name: `ryw-${i}`, role: 'agent'})
      expect(status).toBe(201)
      keys.push(body.apiKey.key)
    }
    const client = async (index: number) => {
      const headers = {authorization: `Bearer ${keys[index]}`}
      for (let round = 0; round < 15; round++) {
        const word = `wombat${index}x${round}quince`
        const saved = await call('POST', '/api/memory/remember', {content: `client ${index} wrote ${word} in round ${round}`}, headers)
        expect(saved.status).toBe(201)
        const recalled = await call('POST', '/api/memory/recall', {query: word, limit: 3}, headers)
        expect(recalled.status).toBe(200)
        expect(recalled.body.results[0]?.id).toBe(saved.body.id)
        const forgotten = await call('DELETE', `/api/memory/${saved.body.id}`, undefined, headers)
        expect(forgotten.status).toBe(200)
        expect((await call('POST', '/api/memory/recall', {query: word, limit: 3}, headers)).body.results).toEqual([])
      }
    }
    await Promise.all(keys.map((_, index) => client(index)))
    expect((await call('GET', '/api/diagnostics/db')).body.details.recallWorkers).toBe(WORKERS)
  })
})
