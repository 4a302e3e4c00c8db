#!/usr/bin/env node
// In-process recall on a B8 store (bench/b8-million.mjs --keep DIR), alternating two builds per
// question so drift cancels: the CPU ms of each recall (sqliteRecall, as the daemon ranks), p50/p95,
// and the share of the before build's top 10 this build keeps (overlap).
//   node bench/tools/b8-recall-lab.mjs DIR [--before ROOT] [--questions 300] [--limit 10]
// ROOT is another checkout or a copied build (dist/, assets/, node_modules); SIGNET_BENCH_ROOT sets
// the build under test, SIGNET_LOCOMO_DIR the questions.
import path from 'node:path'
import {parseArgs} from 'node:util'

import {ROOT} from '../lib/daemon.js'
import {samplePrompts} from '../lib/figures.js'
import {loadLocomo} from '../lib/locomo.js'
import {summarize} from '../lib/stats.js'

const {values: options, positionals} = parseArgs({
  allowPositionals: true,
  options: {before: {type: 'string'}, questions: {type: 'string', default: '300'}, limit: {type: 'string', default: '10'}},
})
const home = path.resolve(positionals[0])
const dbPath = path.join(home, '.agents', 'memory', 'memories.db')

async function build(root) {
  const {openDatabase} = await import(path.join(root, 'dist/store/db.js'))
  const {sqliteRecall} = await import(path.join(root, 'dist/store/sqlite/storage.js'))
  const db = openDatabase(dbPath, {backupBeforeMigrate: false})
  return {name: root, db, recall: sqliteRecall(db)}
}

const builds = [await build(ROOT)]
if (options.before) builds.unshift(await build(path.resolve(options.before)))
const prompts = samplePrompts(loadLocomo()).slice(0, Number(options.questions))
const times = builds.map(() => [])
const overlap = []
const query = (text) => ({query: text, agentId: 'default', limit: Number(options.limit), includeGlobal: true})
for (const b of builds) for (const text of prompts.slice(0, 20)) await b.recall.recall(query(text))
for (const text of prompts) {
  const ids = []
  for (const [index, b] of builds.entries()) {
    const started = process.cpuUsage()
    const result = await b.recall.recall(query(text))
    const used = process.cpuUsage(started)
    times[index].push((used.user + used.system) / 1000)
    ids.push(result.hits.map((hit) => hit.memory.id))
  }
  if (ids.length === 2) overlap.push(ids[0].length === 0 ? 1 : ids[1].filter((id) => ids[0].includes(id)).length / ids[0].length)
}
for (const [index, b] of builds.entries()) console.log(b.name, JSON.stringify(summarize(times[index])))
if (overlap.length) console.log('top-k overlap with before', (overlap.reduce((a, b) => a + b, 0) / overlap.length).toFixed(3))
for (const b of builds) b.db.close()
