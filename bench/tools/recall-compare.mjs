// Two builds' recall in one process: are their answers identical, and what does each cost in CPU?
//   node bench/tools/recall-compare.mjs /path/to/before /path/to/after   (each a built checkout)
// Answers (ids, scores, why, every field) are compared for every LoCoMo question on B4's store (10k
// synthetic memories, no sessions) and on each LoCoMo conversation stored as the ranking lab does
// (sessions and dates, so conversation context is lent), with the clock fixed for the recency term.
// CPU per recall: batches of 300 questions on the 10k store, each batch by both builds in turn (10 each).
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {syntheticMemories} from '../lib/corpus.js'
import {loadLocomo} from '../lib/locomo.js'

const [beforeRoot, afterRoot] = process.argv.slice(2)
if (!beforeRoot || !afterRoot) throw new Error('usage: node bench/tools/recall-compare.mjs <before checkout> <after checkout>')
const builds = {before: path.resolve(beforeRoot), after: path.resolve(afterRoot)}
const conversations = loadLocomo()
if (!conversations?.length) throw new Error('no LoCoMo data: set SIGNET_LOCOMO_DIR')
const questions = conversations.flatMap((conversation) => conversation.questions.map((question) => question.question))

async function modulesOf(root) {
  return {
    ...(await import(path.join(root, 'dist/store/db.js'))),
    ...(await import(path.join(root, 'dist/store/memories.js'))),
    ...(await import(path.join(root, 'dist/store/sqlite/recall-workers.js'))),
  }
}
const modules = {before: await modulesOf(builds.before), after: await modulesOf(builds.after)}

/** A store written once by the before build, then a ranker per build over its own connection. */
function rankersOver(file, fill) {
  const db = modules.before.openDatabase(file)
  fill(new modules.before.MemoryStore(db))
  db.close()
  return {before: modules.before.sqliteRanker(modules.before.openDatabase(file)), after: modules.after.sqliteRanker(modules.after.openDatabase(file))}
}

async function differing(rankers, agentId, asked) {
  let count = 0
  for (const query of asked) {
    const before = await rankers.before.recall({query, agentId, limit: 10})
    const after = await rankers.after.recall({query, agentId, limit: 10})
    if (JSON.stringify(before) !== JSON.stringify(after)) count++
  }
  return count
}

const dir = mkdtempSync(path.join(tmpdir(), 'signet-recall-compare-'))
const realNow = Date.now
try {
  Date.now = () => 1_800_000_000_000
  const synthetic = rankersOver(path.join(dir, 'synthetic.db'), (store) =>
    store.importMany(syntheticMemories(10_000, 7).map((content) => ({content, agentId: 'default', source: 'import'}))),
  )
  const report = {
    synthetic_10k: {questions: questions.length, differing: await differing(synthetic, 'default', questions)},
    locomo: {questions: 0, differing: 0},
  }
  for (const conversation of conversations) {
    const rankers = rankersOver(path.join(dir, `${conversation.name}.db`), (store) => {
      for (const turn of conversation.turns) {
        store.remember({content: turn.content, agentId: 'lab', createdAt: turn.createdAt, sessionKey: `${conversation.name}-session-${turn.session}`})
      }
    })
    const asked = conversation.questions.map((question) => question.question)
    report.locomo.questions += asked.length
    report.locomo.differing += await differing(rankers, 'lab', asked)
  }
  const cpu = {before: [], after: []}
  for (let batch = 0; batch < 20; batch++) {
    const name = batch % 2 === 0 ? 'before' : 'after'
    const started = process.cpuUsage()
    for (let i = 0; i < 300; i++)
      await synthetic[name].recall({query: questions[(Math.floor(batch / 2) * 300 + i) % questions.length], agentId: 'default', limit: 10})
    const used = process.cpuUsage(started)
    cpu[name].push((used.user + used.system) / 1000 / 300)
  }
  const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1]
  for (const name of ['before', 'after']) {
    report[`${name}_cpu_ms_per_recall`] = {
      median: Number(median(cpu[name]).toFixed(3)),
      min: Number(Math.min(...cpu[name]).toFixed(3)),
      max: Number(Math.max(...cpu[name]).toFixed(3)),
    }
  }
  console.log(JSON.stringify(report, null, 1))
} finally {
  Date.now = realNow
  rmSync(dir, {recursive: true, force: true})
}
