// In-process ranking lab: LoCoMo (B7's data, one SQLite file per conversation) and B9's ranking
// half, through the shared recall ranker over SQLite directly (no HTTP), so a ranking candidate is measured in seconds, not minutes.
// The published figures come from bench/run.js through the HTTP API; this is for research.
//   node bench/tools/ranking-lab.mjs [--conversations conv-26,conv-30,conv-41] [--no-b9] [--no-locomo]
//     [--postgres postgres://user@host/db]   the PostgreSQL backend instead: a throwaway database per
//                                            data set is created through that URL and dropped after
//     [--dump FILE]   every LoCoMo question's hits (turn ids, score, why.signals) as JSON, to compare runs or backends
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {parseArgs} from 'node:util'

import {ROOT} from '../lib/daemon.js'
import {loadB9} from '../lib/b9.js'
import {loadLocomo, scoreRecall} from '../lib/locomo.js'

const {values: options} = parseArgs({
  options: {
    conversations: {type: 'string'},
    'no-b9': {type: 'boolean'},
    'no-locomo': {type: 'boolean'},
    misses: {type: 'boolean'},
    vectors: {type: 'boolean'},
    postgres: {type: 'string'},
    dump: {type: 'string'},
  },
})
if (options.postgres && options.vectors) throw new Error('--vectors needs pgvector with --postgres; the lab measures PostgreSQL lexically only')
const {openDatabase} = await import(path.join(ROOT, 'dist/store/db.js'))
const {MemoryStore} = await import(path.join(ROOT, 'dist/store/memories.js'))
const {sqliteRecall} = await import(path.join(ROOT, 'dist/store/sqlite/storage.js'))
const {EmbeddingIndexer} = await import(path.join(ROOT, 'dist/store/embed/indexer.js'))
const {StaticVectorEmbedder} = await import(path.join(ROOT, 'dist/store/embed/static-vectors.js'))
/** --vectors: the `local` provider (GloVe static vectors) fused in, as agent.yaml embedding.provider local does. */
async function searchFor(db) {
  if (!options.vectors) return sqliteRecall(db)
  const indexer = new EmbeddingIndexer(db, StaticVectorEmbedder.shared())
  await indexer.backfill()
  return sqliteRecall(db, {indexer})
}
/**
 * A store for one data set: remember and recall as the daemon does. SQLite: a file in the lab's
 * temp dir; --postgres: a fresh database made through the given URL (dropped on close).
 */
async function openLabStore(name) {
  if (options.postgres) {
    const {default: pg} = await import('pg')
    const {openPostgresStorage} = await import(path.join(ROOT, 'dist/store/postgres/storage.js'))
    const database = `signet_lab_${name.replace(/\W/g, '_')}_${process.pid}`
    const admin = new pg.Client({connectionString: options.postgres})
    await admin.connect()
    await admin.query(`DROP DATABASE IF EXISTS ${database}`)
    await admin.query(`CREATE DATABASE ${database}`)
    const url = new URL(options.postgres)
    url.pathname = `/${database}`
    const storage = await openPostgresStorage({url: url.toString(), indexInBackground: false})
    return {
      remember: (input) => storage.memories.remember(input),
      recall: (query) => storage.recall.recall(query),
      close: async () => {
        await storage.close()
        await admin.query(`DROP DATABASE IF EXISTS ${database}`)
        await admin.end()
      },
    }
  }
  const db = openDatabase(path.join(dir, `${name}.db`))
  const store = new MemoryStore(db)
  let search
  return {
    remember: async (input) => store.remember(input),
    recall: async (query) => {
      search ??= await searchFor(db)
      return search.recall(query)
    },
    close: async () => db.close(),
  }
}
const dir = mkdtempSync(path.join(tmpdir(), 'signet-lab-'))
const out = {}
try {
  if (!options['no-locomo']) {
    const wanted = options.conversations?.split(',')
    const outcomes = []
    let ms = 0
    for (const conversation of loadLocomo().filter((c) => !wanted || wanted.includes(c.name))) {
      const store = await openLabStore(conversation.name)
      const toTurns = new Map()
      for (const turn of conversation.turns) {
        const {memory} = await store.remember({
          content: turn.content,
          agentId: 'lab',
          createdAt: turn.createdAt,
          sessionKey: `${conversation.name}-session-${turn.session}`,
        })
        toTurns.set(memory.id, [...(toTurns.get(memory.id) ?? []), turn.diaId])
      }
      for (const question of conversation.questions) {
        const started = performance.now()
        const {hits} = await store.recall({query: question.question, agentId: 'lab', limit: 10})
        ms += performance.now() - started
        outcomes.push({
          conversation: conversation.name,
          question: question.question,
          category: question.category,
          evidence: question.evidence,
          retrieved: hits.map((hit) => toTurns.get(hit.memory.id) ?? []),
          ...(options.dump ? {scores: hits.map((hit) => [hit.score, hit.why.signals])} : {}),
        })
      }
      await store.close()
    }
    const summary = (part) => Object.fromEntries(Object.entries(scoreRecall(part)).map(([key, s]) => [key, `${s.recall_at_5}/${s.recall_at_10}`]))
    out.locomo = summary(outcomes)
    out.locomo.ms_per_query = Math.round((ms / outcomes.length) * 100) / 100
    // The same split as bench/run.js B7: constants are chosen on tune, confirm is never used to choose.
    for (const [label, members] of [
      ['tune', ['conv-26', 'conv-30', 'conv-41']],
      ['confirm', ['conv-42', 'conv-43']],
    ]) {
      const part = outcomes.filter((outcome) => members.includes(outcome.conversation))
      if (part.length > 0) out.locomo[label] = summary(part)
    }
    if (options.dump) (await import('node:fs')).writeFileSync(options.dump, JSON.stringify(outcomes))
    if (options.misses) {
      out.locomo.misses = outcomes
        .filter((outcome) => ['conv-26', 'conv-30', 'conv-41'].includes(outcome.conversation))
        .filter((outcome) => {
          const seen = new Set(outcome.retrieved.slice(0, 10).flat())
          return outcome.evidence.some((id) => !seen.has(id))
        })
        .map((outcome) => `c${outcome.category} ${outcome.question} [${outcome.evidence}] → ${outcome.retrieved.slice(0, 10).flat()}`)
    }
  }
  if (!options['no-b9']) {
    const data = loadB9()
    const store = await openLabStore('b9')
    const toBench = new Map()
    for (const memory of data.memories) {
      const {memory: stored} = await store.remember({
        content: memory.content,
        type: memory.type,
        project: memory.project ?? null,
        sessionKey: memory.sessionKey,
        createdAt: memory.createdAt,
        agentId: 'b9',
      })
      toBench.set(stored.id, memory.id)
    }
    let n = 0
    let r5 = 0
    let mrr = 0
    const misses = []
    for (const prompt of data.prompts.filter((p) => p.answers.length > 0)) {
      const {hits} = await store.recall({query: prompt.prompt, agentId: 'b9', limit: 10})
      const ranked = hits.map((hit) => toBench.get(hit.memory.id))
      const answers = new Set(prompt.answers)
      const share = ranked.slice(0, 5).filter((id) => answers.has(id)).length / answers.size
      const first = ranked.findIndex((id) => answers.has(id))
      n++
      r5 += share
      mrr += first < 0 ? 0 : 1 / (first + 1)
      if (share < 1) misses.push(`${prompt.id} ${prompt.prompt} [${prompt.answers}] → ${ranked.slice(0, 5)}`)
    }
    out.b9 = {recall_at_5: Math.round((r5 / n) * 1000) / 1000, mrr: Math.round((mrr / n) * 1000) / 1000}
    if (options.misses) out.b9.misses = misses
    await store.close()
  }
} finally {
  rmSync(dir, {recursive: true, force: true})
}
console.log(JSON.stringify(out, null, 1))
