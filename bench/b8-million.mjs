#!/usr/bin/env node
// B8 of BENCHMARKS.md: a million memories. Loads 1,000,000 synthetic memories (bench/lib/corpus.js,
// the B1–B6 corpus continued: its first 10,000 are B1's store) into a fresh workspace through the
// store's bulk import path with no daemon running (MemoryStore.importMany in batches: the real
// schema, the FTS5 index and its triggers), then starts the real daemon on it and measures:
//   - recall over HTTP, p50/p95, alternating with GET /health on the same daemon;
//   - the prompt hook (spawned as Claude Code does), alternating with the same hook against a
//     10,000-memory daemon (B1's setup) and a bare `node -e ""`: the 1M hook p95 must stay within
//     10 ms of the 10k one;
//   - the daemon's RSS (idle, after recall, after the hooks, peak), its start time on the big store;
//   - database bytes per memory, and where they go (dbstat);
//   - `signet status` and `signet doctor` against the 1M daemon beside a bare `node -e ""`.
// Needs a build (npm run build). A few minutes; run it on a quiet machine (`nice` helps the rest).
// LoCoMo's questions are the prompts (SIGNET_LOCOMO_DIR; without them, three fixed prompts).
//   node bench/b8-million.mjs [--memories 1000000] [--recall-reps 400] [--hook-reps 100] [--cli-reps 20]
//                             [--keep DIR] [--reuse DIR] [--out FILE]
// --keep DIR leaves the loaded workspace in DIR (HOME=DIR, workspace DIR/.agents) for later runs;
// --reuse DIR measures such a workspace without loading it again.
import {existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {parseArgs} from 'node:util'

import {syntheticMemoryStream} from './lib/corpus.js'
import {makeWorkspace, REPO, ROOT, RUN_JS, startDaemon, timeSpawn} from './lib/daemon.js'
import {benchRecall, samplePrompts, seedMemories} from './lib/figures.js'
import {loadLocomo} from './lib/locomo.js'
import {ratio, round, summarize} from './lib/stats.js'

const {values: options} = parseArgs({
  options: {
    memories: {type: 'string', default: '1000000'},
    batch: {type: 'string', default: '50000'},
    'recall-reps': {type: 'string', default: '400'},
    'hook-reps': {type: 'string', default: '100'},
    'cli-reps': {type: 'string', default: '20'},
    keep: {type: 'string'},
    reuse: {type: 'string'},
    out: {type: 'string', default: path.join(REPO, 'bench/results/b8-latest.json')},
  },
})
const count = Number(options.memories)
const log = (line) => process.stderr.write(`${line}\n`)
const results = {memories: count}

/** A workspace in DIR (kept) or in a temp HOME (removed at the end). */
async function bigWorkspace() {
  const dir = options.reuse ?? options.keep
  if (!dir) return makeWorkspace()
  const ws = await makeWorkspaceIn(path.resolve(dir), {create: !options.reuse})
  return {...ws, cleanup: () => {}}
}

async function makeWorkspaceIn(home, {create}) {
  const workspace = path.join(home, '.agents')
  if (create) {
    if (existsSync(workspace)) throw new Error(`${workspace} exists: use --reuse ${home}, or remove it`)
    mkdirSync(home, {recursive: true})
    const {initWorkspace} = await import(path.join(ROOT, 'dist/config/workspace.js'))
    initWorkspace(workspace)
  } else if (!existsSync(path.join(workspace, 'memory', 'memories.db'))) {
    throw new Error(`no loaded workspace in ${home} (run once with --keep ${home})`)
  }
  const env = {}
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('SIGNET_')) env[key] = value
  Object.assign(env, {HOME: home, SIGNET_WORKSPACE: workspace, NO_COLOR: '1'})
  return {home, workspace, env}
}

/**
 * The bulk load: batches through MemoryStore.importMany (one transaction each: rows, then the FTS5
 * rows of the batch, as `signet import` does in the daemon). created_at spreads over three years,
 * oldest first, as a store that grew for years.
 */
async function load(workspace) {
  const {openDatabase} = await import(path.join(ROOT, 'dist/store/db.js'))
  const {MemoryStore} = await import(path.join(ROOT, 'dist/store/memories.js'))
  const {workspacePaths} = await import(path.join(ROOT, 'dist/config/paths.js'))
  const db = openDatabase(workspacePaths(workspace).dbPath)
  const store = new MemoryStore(db)
  const batch = Number(options.batch)
  const span = 3 * 365 * 24 * 3600 * 1000
  const first = Date.now() - span
  const started = performance.now()
  let pending = []
  let loaded = 0
  const flush = () => {
    store.importMany(pending)
    loaded += pending.length
    pending = []
    const seconds = (performance.now() - started) / 1000
    log(`  ${loaded.toLocaleString('en')} memories, ${Math.round(loaded / seconds).toLocaleString('en')}/s`)
  }
  let index = 0
  for (const content of syntheticMemoryStream(count)) {
    pending.push({content, agentId: 'default', source: 'import', createdAt: new Date(first + Math.floor((index++ * span) / count)).toISOString()})
    if (pending.length === batch) flush()
  }
  if (pending.length > 0) flush()
  const seconds = (performance.now() - started) / 1000
  const checkpointStarted = performance.now()
  db.pragma('wal_checkpoint(TRUNCATE)')
  const checkpointSeconds = (performance.now() - checkpointStarted) / 1000
  db.close()
  return {seconds: round(seconds, 1), per_sec: Math.round(count / seconds), checkpoint_seconds: round(checkpointSeconds, 1)}
}

/** Bytes on disk (database, WAL, shared memory) and the share of each table and index (dbstat). */
async function storage(workspace) {
  const dbPath = path.join(workspace, 'memory', 'memories.db')
  const dir = path.dirname(dbPath)
  const files = Object.fromEntries(
    readdirSync(dir)
      .filter((name) => name.startsWith('memories.db'))
      .map((name) => [name, statSync(path.join(dir, name)).size]),
  )
  const total = Object.values(files).reduce((sum, size) => sum + size, 0)
  const {default: Database} = await import(path.join(ROOT, 'node_modules/better-sqlite3/lib/index.js'))
  const db = new Database(dbPath, {readonly: true})
  let tables = null
  try {
    const rows = db.prepare('SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC').all()
    // FTS5 keeps its index in shadow tables (memories_fts_data, _idx, _docsize, _config): one figure.
    const grouped = {}
    for (const {name, bytes} of rows) {
      const group = name.startsWith('memories_fts') ? 'memories_fts (FTS5 index)' : name
      grouped[group] = (grouped[group] ?? 0) + bytes
    }
    tables = Object.fromEntries(
      Object.entries(grouped)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 8)
        .map(([name, bytes]) => [name, {bytes, per_memory: round(bytes / count, 1)}]),
    )
  } catch (error) {
    tables = {unavailable: String(error.message ?? error)}
  } finally {
    db.close()
  }
  const contentBytes = await averageContentBytes(dbPath)
  return {files, bytes: total, bytes_per_memory: Math.round(total / count), average_content_bytes: contentBytes, tables}
}

async function averageContentBytes(dbPath) {
  const {default: Database} = await import(path.join(ROOT, 'node_modules/better-sqlite3/lib/index.js'))
  const db = new Database(dbPath, {readonly: true})
  try {
    return round(db.prepare('SELECT avg(length(CAST(content AS BLOB))) AS bytes FROM memories').get().bytes, 1)
  } finally {
    db.close()
  }
}

/** The most resident memory the process ever had (VmHWM), in MB. */
function peakRssMb(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    return Math.round((Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]) / 1024) * 10) / 10
  } catch {
    return null
  }
}

/** Three spawns per round, alternating: bare node, the hook on 10k memories, the hook on 1M. */
async function benchHooks(small, big, {reps, prompts}) {
  const payload = (prompt) => JSON.stringify({session_id: 'bench-session', transcript_path: '', cwd: REPO, hook_event_name: 'UserPromptSubmit', prompt})
  const hookArgs = [RUN_JS, 'hook', 'user-prompt-submit', '-H', 'claude-code']
  for (const daemon of [small, big]) {
    const probe = await timeSpawn(hookArgs, {env: daemon.env, input: payload(prompts[0])})
    if (probe.code !== 0) throw new Error(`hook exited ${probe.code}: ${probe.stderr}`)
  }
  for (let i = 0; i < 10; i++) {
    await timeSpawn(['-e', ''], {env: small.env, input: payload(prompts[i])})
    await timeSpawn(hookArgs, {env: small.env, input: payload(prompts[i])})
    await timeSpawn(hookArgs, {env: big.env, input: payload(prompts[i])})
  }
  const samples = {node: [], hook_10k: [], hook_1m: []}
  const injected = {hook_10k: 0, hook_1m: 0}
  for (let i = 0; i < reps; i++) {
    const input = payload(prompts[i % prompts.length])
    samples.node.push((await timeSpawn(['-e', ''], {env: small.env, input})).ms)
    for (const [name, daemon] of [
      ['hook_10k', small],
      ['hook_1m', big],
    ]) {
      const run = await timeSpawn(hookArgs, {env: daemon.env, input})
      if (run.code !== 0) throw new Error(`hook exited ${run.code}: ${run.stderr}`)
      samples[name].push(run.ms)
      if (run.stdout.trim()) injected[name]++
    }
    if ((i + 1) % 25 === 0) log(`  ${i + 1}/${reps}`)
  }
  const node = summarize(samples.node)
  const small10k = summarize(samples.hook_10k)
  const big1m = summarize(samples.hook_1m)
  return {
    reps,
    node_e: node,
    hook_10k: {...small10k, ratio_p50: ratio(small10k.p50_ms, node.p50_ms), injected_share: round(injected.hook_10k / reps)},
    hook_1m: {...big1m, ratio_p50: ratio(big1m.p50_ms, node.p50_ms), injected_share: round(injected.hook_1m / reps)},
    p95_over_10k_ms: round(big1m.p95_ms - small10k.p95_ms),
  }
}

/** `signet status` and `signet doctor` against the 1M daemon, alternating with a bare `node -e ""` (B5's rule: p50 ≤ 2× node). */
async function benchCli(daemon, {reps}) {
  const commands = {status: ['status'], doctor: ['doctor']}
  for (const args of Object.values(commands)) await timeSpawn([RUN_JS, ...args], {env: daemon.env})
  const samples = {node: [], status: [], doctor: []}
  for (let i = 0; i < reps; i++) {
    samples.node.push((await timeSpawn(['-e', ''], {env: daemon.env})).ms)
    for (const [name, args] of Object.entries(commands)) samples[name].push((await timeSpawn([RUN_JS, ...args], {env: daemon.env})).ms)
  }
  const node = summarize(samples.node)
  const result = {reps, node_e: node}
  for (const name of Object.keys(commands)) {
    const summary = summarize(samples[name])
    result[name] = {...summary, ratio_p50: ratio(summary.p50_ms, node.p50_ms)}
  }
  return result
}

/** Recall's own time (meta.elapsedMs) for every prompt once: which questions are slow and why. */
async function slowestQueries(daemon, prompts, n = 8) {
  const timed = []
  for (const query of prompts.slice(0, 200)) {
    const started = performance.now()
    const {body} = await daemon.json('POST', '/api/memory/recall', {query, limit: 10})
    timed.push({query, wall_ms: round(performance.now() - started), daemon_ms: body?.meta?.elapsedMs ?? null, total: body?.meta?.total ?? null})
  }
  timed.sort((a, b) => b.wall_ms - a.wall_ms)
  return timed.slice(0, n)
}

const prompts = samplePrompts(loadLocomo())
const big = await bigWorkspace()
const small = await makeWorkspace()
try {
  if (!options.reuse) {
    log(`B8: loading ${count.toLocaleString('en')} memories into ${big.workspace}`)
    results.load = await load(big.workspace)
  }
  results.storage = await storage(big.workspace)
  log(`B8: ${results.storage.bytes_per_memory} database bytes per memory`)
  log('B8: seeding the 10k reference store (B1)')
  await seedMemories(small.workspace, 10_000)

  const startedAt = performance.now()
  const bigDaemon = await startDaemon(big)
  results.daemon_start_ms = Math.round(performance.now() - startedAt)
  const smallDaemon = await startDaemon(small)
  try {
    await new Promise((resolve) => setTimeout(resolve, 2000))
    results.rss_mb = {idle: bigDaemon.rssMb(), idle_10k: smallDaemon.rssMb()}
    log(`B8: recall over HTTP at ${count.toLocaleString('en')} (${options['recall-reps']} requests)`)
    results.recall = await benchRecall(bigDaemon, {reps: Number(options['recall-reps']), prompts})
    results.recall_10k = await benchRecall(smallDaemon, {reps: 200, prompts})
    results.rss_mb.after_recall = bigDaemon.rssMb()
    results.slowest_queries = await slowestQueries(bigDaemon, prompts)
    log(`B8: prompt hook, 1M vs 10k vs bare node (${options['hook-reps']} rounds)`)
    results.hook = await benchHooks(smallDaemon, bigDaemon, {reps: Number(options['hook-reps']), prompts})
    results.rss_mb.after_hooks = bigDaemon.rssMb()
    log(`B8: signet status and doctor on the 1M store (${options['cli-reps']} rounds)`)
    results.cli = await benchCli(bigDaemon, {reps: Number(options['cli-reps'])})
    results.rss_mb.peak = peakRssMb(bigDaemon.pid)
  } finally {
    await smallDaemon.stop()
    await bigDaemon.stop()
  }
} finally {
  small.cleanup()
  big.cleanup()
  if (!options.keep && !options.reuse) rmSync(big.home, {recursive: true, force: true})
}

results.targets = {
  recall_p50_ms: {target: 20, value: results.recall.p50_ms, ok: results.recall.p50_ms <= 20},
  recall_p95_ms: {target: 50, value: results.recall.p95_ms, ok: results.recall.p95_ms <= 50},
  hook_p95_over_b1_ms: {target: 10, value: results.hook.p95_over_10k_ms, ok: results.hook.p95_over_10k_ms <= 10},
  rss_mb: {target: 250, value: results.rss_mb.peak, ok: results.rss_mb.peak <= 250},
  status_ratio_p50: {target: 2, value: results.cli.status.ratio_p50, ok: results.cli.status.ratio_p50 <= 2},
  doctor_ratio_p50: {target: 2, value: results.cli.doctor.ratio_p50, ok: results.cli.doctor.ratio_p50 <= 2},
}
const report = {
  figure: 'B8 a million memories',
  machine: {cores: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, loadavg: os.loadavg().map((value) => round(value))},
  results,
}
mkdirSync(path.dirname(options.out), {recursive: true})
writeFileSync(options.out, JSON.stringify(report, null, 2) + '\n')
console.log(JSON.stringify(report, null, 2))
