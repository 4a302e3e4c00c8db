#!/usr/bin/env node
// Recall quality at a million memories: LoCoMo's turns imported into a copy of a B8 store
// (bench/b8-million.mjs --keep DIR) as the same agent as the million synthetic memories, then
// B7-style recall@5/@10 of LoCoMo's questions against that store, in-process (sqliteRecall, as the
// daemon ranks), alternating the builds per question so drift cancels; CPU ms per recall too.
//   node bench/tools/b8-quality.mjs DIR --work WORK [--builds ROOT,ROOT…] [--questions N] [--hook]
// DIR is read only: the first run copies it to WORK (cp --reflink=auto) and remembers the turns
// there (one memory per turn, the session date as created_at, a session key per LoCoMo session, as
// B7 does); later runs reuse WORK. Same agent ("default", the hook's): every synthetic memory
// competes with the conversation's turns, as a user's own years of memories would, and the ranking
// takes the daemon's usual path (rank the whole index, then filter). The five conversations share
// the agent, so they compete with each other too; evidence ids are scored per conversation.
// --builds: checkouts or copied builds (dist/, assets/, node_modules); the default is this build.
// --hook: the prompt hook's query (promptRecallQuery, limit 10, a project with global rows).
// Results: recall@5/@10 per build (all, per category), CPU ms per recall p50/p95, and how many
// questions each build answers differently from the first (a question is "better" when its
// recall@10 rises).
import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {parseArgs} from 'node:util'

import {ROOT} from '../lib/daemon.js'
import {loadLocomo, scoreRecall} from '../lib/locomo.js'
import {summarize} from '../lib/stats.js'

const {values: options, positionals} = parseArgs({
  allowPositionals: true,
  options: {work: {type: 'string'}, builds: {type: 'string'}, questions: {type: 'string'}, hook: {type: 'boolean'}},
})
if (!positionals[0] || !options.work) throw new Error('usage: b8-quality.mjs DIR --work WORK [--builds ROOT,ROOT] [--questions N] [--hook]')
const source = path.resolve(positionals[0])
const work = path.resolve(options.work)
const dbPath = path.join(work, '.agents', 'memory', 'memories.db')
const mapPath = path.join(work, 'locomo-turns.json')
const roots = (options.builds ? options.builds.split(',') : [ROOT]).map((root) => path.resolve(root))
const conversations = loadLocomo()
if (!conversations) throw new Error('no LoCoMo data: set SIGNET_LOCOMO_DIR')
const log = (line) => process.stderr.write(`${line}\n`)

/** The copy with LoCoMo's turns in it; memory id → "conversation:turn" ids, kept beside it. */
async function prepare() {
  if (existsSync(mapPath)) return new Map(JSON.parse(readFileSync(mapPath, 'utf8')))
  if (!existsSync(path.join(source, '.agents', 'memory', 'memories.db'))) throw new Error(`no B8 store in ${source}`)
  if (!existsSync(work)) {
    mkdirSync(path.dirname(work), {recursive: true})
    log(`copying ${source} to ${work}`)
    execFileSync('cp', ['-a', '--reflink=auto', source, work])
  }
  const {openDatabase} = await import(path.join(roots[0], 'dist/store/db.js'))
  const {MemoryStore} = await import(path.join(roots[0], 'dist/store/memories.js'))
  const db = openDatabase(dbPath, {backupBeforeMigrate: false})
  const store = new MemoryStore(db)
  const turns = new Map()
  for (const conversation of conversations) {
    for (const turn of conversation.turns) {
      const {memory} = store.remember({
        content: turn.content,
        agentId: 'default',
        createdAt: turn.createdAt,
        sessionKey: `${conversation.name}-session-${turn.session}`,
      })
      turns.set(memory.id, [...(turns.get(memory.id) ?? []), `${conversation.name}:${turn.diaId}`])
    }
    log(`  ${conversation.name}: ${conversation.turns.length} turns`)
  }
  db.pragma('wal_checkpoint(TRUNCATE)')
  db.close()
  writeFileSync(mapPath, JSON.stringify([...turns]))
  return turns
}

const turns = await prepare()
const builds = []
for (const root of roots) {
  const {openDatabase} = await import(path.join(root, 'dist/store/db.js'))
  const {sqliteRecall} = await import(path.join(root, 'dist/store/sqlite/storage.js'))
  const {promptRecallQuery} = await import(path.join(root, 'dist/daemon/routes/hooks.js'))
  const db = openDatabase(dbPath, {backupBeforeMigrate: false})
  builds.push({root, db, recall: sqliteRecall(db), promptRecallQuery, times: [], outcomes: []})
}
let questions = conversations.flatMap((conversation) =>
  conversation.questions.map((question) => ({
    ...question,
    conversation: conversation.name,
    evidence: question.evidence.map((id) => `${conversation.name}:${id}`),
  })),
)
if (options.questions) questions = questions.slice(0, Number(options.questions))
const queryFor = (build, text) =>
  options.hook
    ? {query: build.promptRecallQuery(text), agentId: 'default', limit: 10, project: 'bench/b8-quality', includeGlobal: true}
    : {query: text, agentId: 'default', limit: 10}
// Warm-up: caches (stems, counts, pages) as a running daemon has them.
for (const build of builds) for (const question of questions.slice(0, 20)) await build.recall.recall(queryFor(build, question.question))
for (const [number, question] of questions.entries()) {
  for (const build of number % 2 === 0 ? builds : [...builds].reverse()) {
    const started = process.cpuUsage()
    const {hits} = await build.recall.recall(queryFor(build, question.question))
    const used = process.cpuUsage(started)
    build.times.push((used.user + used.system) / 1000)
    build.outcomes.push({category: question.category, evidence: question.evidence, retrieved: hits.map((hit) => turns.get(hit.memory.id) ?? [])})
  }
  if ((number + 1) % 250 === 0) log(`  ${number + 1}/${questions.length}`)
}
const at10 = (outcome) => {
  const seen = new Set(outcome.retrieved.slice(0, 10).flat())
  return outcome.evidence.filter((id) => seen.has(id)).length / new Set(outcome.evidence).size
}
const out = {questions: questions.length, hook: Boolean(options.hook), builds: []}
for (const build of builds) {
  const scores = scoreRecall(build.outcomes)
  const versus = builds[0].outcomes.map((first, index) => at10(build.outcomes[index]) - at10(first))
  out.builds.push({
    root: build.root,
    recall: Object.fromEntries(Object.entries(scores).map(([key, s]) => [key, `${s.recall_at_5}/${s.recall_at_10}`])),
    cpu_ms: summarize(build.times),
    versus_first: {better: versus.filter((d) => d > 0).length, worse: versus.filter((d) => d < 0).length},
  })
  build.db.close()
}
console.log(JSON.stringify(out, null, 1))
