#!/usr/bin/env node
// Signet benchmark harness (BENCHMARKS.md): B1–B7 and B9 against real daemon processes in temp
// workspaces. `npm run bench` (≈ 2.5 min after the build) or `npm run bench -- --quick` (≈ 1 min).
//   --quick              fewer repetitions, no 100k corpus, 10 s concurrency runs
//   --only B2,B7         run a subset
//   --embedding NAME     force embedding.provider (none, local, ollama, openai); default: agent.yaml default
//   --conversations A,B  B7 on these LoCoMo conversations only (e.g. conv-26,conv-30)
//   --out FILE           where to write the JSON (default bench/results/latest.json)
//   --only B11           PostgreSQL beside SQLite, B4 through 1, 2 and 3 daemons (a throwaway server
//                        from Debian's binaries, or --postgres postgres://user@host/postgres)
import {execFileSync} from 'node:child_process'
import {mkdirSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {parseArgs} from 'node:util'

import {benchAgentNetwork} from './lib/b10.js'
import {benchPostgres} from './lib/b11.js'
import {REPO, makeWorkspace, startDaemon} from './lib/daemon.js'
import {
  CLI_START_COMMANDS,
  benchCliStart,
  benchConcurrency,
  benchLocomo,
  benchPromptHook,
  benchRecall,
  benchRemember,
  samplePrompts,
  seedMemories,
  benchImport,
} from './lib/figures.js'
import {benchB9} from './lib/b9.js'
import {loadLocomo, locomoDir} from './lib/locomo.js'

const {values: options} = parseArgs({
  options: {
    quick: {type: 'boolean', default: false},
    only: {type: 'string'},
    embedding: {type: 'string'},
    conversations: {type: 'string'},
    postgres: {type: 'string'},
    out: {type: 'string', default: path.join(REPO, 'bench/results/latest.json')},
  },
})
const quick = options.quick
const wanted = new Set(
  (options.only ?? 'B1,B2,B3,B4,B5,B6,B7,B9')
    .toUpperCase()
    .split(',')
    .map((item) => item.trim()),
)
const plan = {
  hookReps: quick ? 20 : 100,
  recallReps: quick ? 200 : 400,
  rememberCount: quick ? 1000 : 3000,
  bulkCount: 20_000,
  concurrencySeconds: quick ? 10 : 30,
  cliReps: quick ? 20 : 30,
  large: quick ? 0 : 100_000,
}

const log = (line) => process.stderr.write(`${line}\n`)

function machine() {
  let commit = null
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {cwd: REPO, encoding: 'utf8'}).trim()
  } catch {
    // not a git checkout
  }
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memory_gb: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()}`,
    node: process.version,
    commit,
    date: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
  }
}

const results = {}
const conversations = loadLocomo()?.filter((conversation) => !options.conversations || options.conversations.split(',').includes(conversation.name))
const prompts = samplePrompts(conversations)

async function withDaemon(label, {embedding, seed = 0}, body) {
  const ws = await makeWorkspace({embedding: options.embedding ?? embedding})
  try {
    let bulk
    if (seed > 0) {
      log(`${label}: seeding ${seed} memories (bulk path)`)
      bulk = await seedMemories(ws.workspace, seed)
    }
    const daemon = await startDaemon(ws)
    try {
      const vectors = await daemon.waitForVectors(900_000)
      if (vectors?.enabled) log(`${label}: ${vectors.indexed} memories embedded with ${vectors.provider}/${vectors.model}`)
      return await body(daemon, bulk)
    } finally {
      await daemon.stop()
    }
  } finally {
    ws.cleanup()
  }
}

if (['B1', 'B2', 'B3', 'B4', 'B5', 'B6'].some((figure) => wanted.has(figure))) {
  await withDaemon('10k', {seed: 10_000}, async (daemon, bulk) => {
    await new Promise((resolve) => setTimeout(resolve, 2000))
    const idleRss = daemon.rssMb()
    if (wanted.has('B1')) {
      log('B1: prompt hook vs bare node, alternating')
      results.B1 = await benchPromptHook(daemon, {reps: plan.hookReps, prompts})
    }
    if (wanted.has('B2')) {
      log('B2: recall over HTTP at 10k')
      results.B2 = {at_10k: await benchRecall(daemon, {reps: plan.recallReps, prompts})}
      // Idle RSS of this daemon (10k memories, before any load), so a B2-only run reports it too.
      Object.assign(results.B2, {
        p50_ms: results.B2.at_10k.p50_ms,
        p95_ms: results.B2.at_10k.p95_ms,
        ratio_p50: results.B2.at_10k.ratio_p50,
        idle_rss_mb: idleRss,
      })
    }
    if (wanted.has('B5')) {
      log('B5: CLI start vs bare node, alternating')
      results.B5 = await benchCliStart(daemon, {reps: plan.cliReps})
    }
    if (wanted.has('B3')) {
      log('B3: remember over HTTP')
      results.B3 = {...(await benchRemember(daemon, {count: plan.rememberCount})), store_seed_per_sec: bulk.perSecond}
    }
    if (wanted.has('B4') || wanted.has('B6')) {
      const runs = []
      const rss = []
      for (let run = 0; run < 3; run++) {
        log(`B4: 32 clients, ${plan.concurrencySeconds} s (run ${run + 1}/3)`)
        runs.push(await benchConcurrency(daemon, {seconds: plan.concurrencySeconds, prompts, round: run}))
        await new Promise((resolve) => setTimeout(resolve, 1000))
        rss.push(daemon.rssMb())
        if (!wanted.has('B6')) break
      }
      if (wanted.has('B4'))
        results.B4 = {...runs[0], runs: runs.map(({p50_ms, p95_ms, errors, lost_writes, requests}) => ({p50_ms, p95_ms, errors, lost_writes, requests}))}
      if (wanted.has('B6')) {
        results.B6 = {
          idle_mb: idleRss,
          after_b4_mb: rss[0],
          after_b4_x3_mb: rss[2],
          growth_run_over_run_pct: rss[2] && rss[1] ? Math.round(((rss[2] - rss[1]) / rss[1]) * 1000) / 10 : null,
          rss_after_each_run_mb: rss,
        }
      }
    }
    // Last on this daemon, so B4 and B6 run on the seeded store and not on 20,000 more memories.
    if (wanted.has('B3')) {
      log('B3: bulk import over HTTP')
      const bulkImport = await benchImport(daemon, {count: plan.bulkCount})
      Object.assign(results.B3, {per_sec_bulk: bulkImport.per_sec ?? null, bulk: bulkImport})
    }
  })
}

if ((wanted.has('B2') || wanted.has('B3')) && plan.large > 0) {
  await withDaemon('100k', {seed: plan.large}, async (daemon) => {
    if (wanted.has('B2')) {
      log('B2: recall over HTTP at 100k')
      results.B2.at_100k = await benchRecall(daemon, {reps: plan.recallReps, prompts})
    }
    // BENCHMARKS B3 asks for the bulk rate on a store that already holds 100k memories.
    if (wanted.has('B3')) {
      log('B3: bulk import over HTTP into 100k')
      const bulkImport = await benchImport(daemon, {count: plan.bulkCount})
      results.B3 = {...results.B3, per_sec_bulk_at_100k: bulkImport.per_sec ?? null}
    }
  })
}

// B9 needs only a small store of its own.
if (wanted.has('B9')) {
  log('B9: coding-agent recall set through the HTTP API')
  await withDaemon('B9', {}, async (daemon) => {
    results.B9 = await benchB9(daemon)
  })
}
// B10 (agent network) only when asked for: `--only B10`.
if (wanted.has('B10')) results.B10 = await benchAgentNetwork({quick, prompts, log})
// B11 (PostgreSQL, several daemons) only when asked for: `--only B11`.
if (wanted.has('B11')) results.B11 = await benchPostgres({quick, prompts, log, postgres: options.postgres})

// Retrieval quality last: it needs no quiet machine, and its five daemons and the results it
// holds would otherwise sit in front of the latency figures.
if (wanted.has('B7')) {
  if (!conversations) {
    results.B7 = {unavailable: `no LoCoMo files in ${locomoDir()} (set SIGNET_LOCOMO_DIR)`}
  } else {
    log('B7: LoCoMo through the HTTP API')
    const startForConversation = async () => {
      const ws = await makeWorkspace({embedding: options.embedding})
      const daemon = await startDaemon(ws)
      const stop = daemon.stop
      daemon.stop = async () => {
        await stop()
        ws.cleanup()
      }
      return daemon
    }
    results.B7 = await benchLocomo(startForConversation, conversations, {onProgress: (line) => log(`B7: ${line}`)})
  }
}

const report = {machine: machine(), results}
mkdirSync(path.dirname(options.out), {recursive: true})
writeFileSync(options.out, JSON.stringify(report, null, 2) + '\n')
printTable(report)
log(`\nwritten ${path.relative(process.cwd(), options.out) || options.out}`)

function printTable({machine: m, results: r}) {
  const rows = []
  const fmt = (value) => (value === null || value === undefined ? '—' : String(value))
  const add = (figure, what, p50, p95, ref, ratioValue, target, ok) =>
    rows.push([figure, what, fmt(p50), fmt(p95), fmt(ref), fmt(ratioValue), target, ok === undefined ? '' : ok ? 'ok' : 'MISS'])
  if (r.B1) {
    if (r.B1.unavailable) add('B1', `prompt hook: unavailable (${r.B1.unavailable})`, null, null, null, null, 'p95 ≤ 120, ≤ 1.6× node', undefined)
    else
      add(
        'B1',
        'prompt hook, 10k memories',
        r.B1.p50_ms,
        r.B1.p95_ms,
        r.B1.ref_p50_ms,
        r.B1.ratio_p50,
        'p95 ≤ 120, ≤ 1.6× node',
        r.B1.p95_ms <= 120 && r.B1.ratio_p50 <= 1.6,
      )
  }
  if (r.B2) {
    add(
      'B2',
      `recall HTTP, 10k (daemon CPU ${r.B2.at_10k.daemon_cpu_ms_per_request} ms/req, idle RSS ${r.B2.idle_rss_mb} MB)`,
      r.B2.at_10k.p50_ms,
      r.B2.at_10k.p95_ms,
      r.B2.at_10k.ref_p50_ms,
      r.B2.at_10k.ratio_p50,
      'p95 ≤ 15',
      r.B2.at_10k.p95_ms <= 15,
    )
    if (r.B2.at_100k)
      add(
        'B2',
        `recall HTTP, 100k (daemon CPU ${r.B2.at_100k.daemon_cpu_ms_per_request} ms/req)`,
        r.B2.at_100k.p50_ms,
        r.B2.at_100k.p95_ms,
        r.B2.at_100k.ref_p50_ms,
        r.B2.at_100k.ratio_p50,
        'p95 ≤ 40',
        r.B2.at_100k.p95_ms <= 40,
      )
  }
  if (r.B3)
    add(
      'B3',
      `remember: ${r.B3.per_sec_http}/s HTTP (daemon CPU ${r.B3.daemon_cpu_ms_per_remember ?? '?'} ms each), ${r.B3.per_sec_bulk}/s bulk` +
        (r.B3.per_sec_bulk_at_100k ? `, ${r.B3.per_sec_bulk_at_100k}/s bulk into 100k` : ''),
      r.B3.p50_ms,
      r.B3.p95_ms,
      r.B3.health_p50_ms ?? null,
      r.B3.ratio_p50 ?? null,
      '≥ 1500/s, ≥ 20000/s',
      r.B3.per_sec_http >= 1500 && r.B3.per_sec_bulk >= 20_000 && (r.B3.per_sec_bulk_at_100k ?? 20_000) >= 20_000,
    )
  if (r.B4)
    add(
      'B4',
      `32 clients: ${r.B4.per_sec} req/s, ${r.B4.errors} errors, ${r.B4.lost_writes} lost, daemon CPU ${r.B4.daemon_cpu_ms_per_request} ms/req`,
      r.B4.p50_ms,
      r.B4.p95_ms,
      null,
      null,
      '0 err, 0 lost, p95 ≤ 60',
      r.B4.errors === 0 && r.B4.lost_writes === 0 && r.B4.p95_ms <= 60,
    )
  if (r.B5) {
    for (const name of Object.keys(CLI_START_COMMANDS)) {
      const command = r.B5[name]
      if (command)
        add('B5', `signet ${command.args}`, command.p50_ms, command.p95_ms, r.B5.ref_p50_ms, command.ratio_p50, 'p50 ≤ 2× node', command.ratio_p50 <= 2)
    }
  }
  if (r.B6) {
    const afterLoad = [r.B6.after_b4_mb, r.B6.after_b4_x3_mb].filter((mb) => mb !== null && mb !== undefined)
    add(
      'B6',
      `RSS MB idle ${r.B6.idle_mb}, after B4 ${r.B6.after_b4_mb}, ×3 ${r.B6.after_b4_x3_mb} (${r.B6.growth_run_over_run_pct}%)`,
      null,
      null,
      null,
      null,
      'idle, after load ≤ 120; growth ≤ 5 %',
      r.B6.idle_mb <= 120 && afterLoad.every((mb) => mb <= 120) && (r.B6.growth_run_over_run_pct ?? 0) <= 5,
    )
  }
  if (r.B7) {
    if (r.B7.unavailable) add('B7', `LoCoMo: unavailable (${r.B7.unavailable})`, null, null, null, null, 'R@10 ≥ 0.75', undefined)
    else {
      add(
        'B7',
        `LoCoMo R@5 ${r.B7.recall_at_5} R@10 ${r.B7.recall_at_10} (plain bm25 ${r.B7.baseline_recall_at_5}/${r.B7.baseline_recall_at_10}), ${r.B7.embedding.provider}`,
        r.B7.p50_ms,
        r.B7.p95_ms,
        null,
        r.B7.ratio_recall_at_10,
        'R@10 ≥ 0.75',
        r.B7.recall_at_10 >= 0.75,
      )
      for (const [category, score] of Object.entries(r.B7.per_category)) {
        add(
          '',
          `  category ${category} (${score.n} q): R@5 ${score.recall_at_5} R@10 ${score.recall_at_10} (bm25 ${score.baseline_recall_at_10})`,
          null,
          null,
          null,
          null,
          '≥ 0.45',
          score.recall_at_10 >= 0.45,
        )
      }
      for (const [label, part] of Object.entries(r.B7.split ?? {})) {
        const categories = Object.entries(part.per_category)
          .map(([category, score]) => `c${category} ${score.recall_at_10}`)
          .join(' ')
        add(
          '',
          `  ${label} (${part.conversations.join(', ')}): R@5 ${part.recall_at_5} R@10 ${part.recall_at_10} [${categories}]`,
          null,
          null,
          null,
          null,
          '',
          undefined,
        )
      }
    }
  }
  if (r.B9) {
    add(
      'B9',
      `recall as users ask: R@5 ${r.B9.recall_at_5} R@10 ${r.B9.recall_at_10} MRR ${r.B9.mrr}, answers injected ${r.B9.answers_injected}`,
      null,
      null,
      null,
      null,
      'R@5 ≥ 0.85',
      r.B9.recall_at_5 >= 0.85,
    )
    add(
      'B9',
      `unrelated prompts injecting: ${r.B9.unrelated_injecting} (${r.B9.unrelated_prompts} prompts)`,
      null,
      null,
      null,
      null,
      '≤ 0.05',
      r.B9.unrelated_injecting <= 0.05,
    )
    for (const [kind, score] of Object.entries(r.B9.per_kind)) {
      add('', `  ${kind} (${score.n}): R@5 ${score.recall_at_5} MRR ${score.mrr} injected ${score.answers_injected}`, null, null, null, null, '', undefined)
    }
  }
  if (r.B10) {
    add('B10', 'agent message → connected SSE client', r.B10.p50_ms, r.B10.p95_ms, null, null, 'p50 ≤ 20, p95 ≤ 50', r.B10.p50_ms <= 20 && r.B10.p95_ms <= 50)
    const hook = r.B10.empty_inbox_hook
    add(
      'B10',
      `prompt hook, empty inbox (+${hook.extra_p50_ms} ms p50 vs without)`,
      hook.with_feature.p50_ms,
      hook.with_feature.p95_ms,
      hook.without_feature.p50_ms,
      hook.ratio_p50,
      '≤ 1 ms more',
      hook.extra_p50_ms <= 1,
    )
  }
  if (r.B11) {
    const {sqlite, postgres} = r.B11
    const cpu = (figure) =>
      `daemon CPU ${figure.daemon_cpu_ms_per_request} ms/req${figure.postgres_cpu_ms_per_request != null ? `, server ${figure.postgres_cpu_ms_per_request}` : ''}`
    add(
      'B11',
      `recall 10k, SQLite (${cpu(sqlite.b2_10k)})`,
      sqlite.b2_10k.p50_ms,
      sqlite.b2_10k.p95_ms,
      sqlite.b2_10k.ref_p50_ms,
      sqlite.b2_10k.ratio_p50,
      '',
      undefined,
    )
    add(
      'B11',
      `recall 10k, PostgreSQL just migrated, before ANALYZE (${cpu(postgres.b2_10k_before_analyze)})`,
      postgres.b2_10k_before_analyze.p50_ms,
      postgres.b2_10k_before_analyze.p95_ms,
      postgres.b2_10k_before_analyze.ref_p50_ms,
      postgres.b2_10k_before_analyze.ratio_p50,
      '',
      undefined,
    )
    add(
      'B11',
      `recall 10k, PostgreSQL (${cpu(postgres.b2_10k)})`,
      postgres.b2_10k.p50_ms,
      postgres.b2_10k.p95_ms,
      postgres.b2_10k.ref_p50_ms,
      postgres.b2_10k.ratio_p50,
      'p95 ≤ 15',
      postgres.b2_10k.p95_ms <= 15,
    )
    if (sqlite.b2_100k)
      add(
        'B11',
        `recall 100k, SQLite (${cpu(sqlite.b2_100k)})`,
        sqlite.b2_100k.p50_ms,
        sqlite.b2_100k.p95_ms,
        sqlite.b2_100k.ref_p50_ms,
        sqlite.b2_100k.ratio_p50,
        '',
        undefined,
      )
    if (postgres.b2_100k)
      add(
        'B11',
        `recall 100k, PostgreSQL (${cpu(postgres.b2_100k)})`,
        postgres.b2_100k.p50_ms,
        postgres.b2_100k.p95_ms,
        postgres.b2_100k.ref_p50_ms,
        postgres.b2_100k.ratio_p50,
        'p95 ≤ 40',
        postgres.b2_100k.p95_ms <= 40,
      )
    for (const [name, b3] of [
      ['SQLite', sqlite.b3],
      ['PostgreSQL', postgres.b3],
    ]) {
      add(
        'B11',
        `remember, ${name}: ${b3.per_sec_http}/s one client, ${b3.bulk.per_sec}/s bulk`,
        b3.p50_ms,
        b3.p95_ms,
        b3.health_p50_ms,
        b3.ratio_p50,
        '',
        undefined,
      )
    }
    add(
      'B11',
      `B4 SQLite, 1 daemon: ${sqlite.b4.per_sec} req/s, ${sqlite.b4.errors} errors, ${sqlite.b4.lost_writes} lost; CPU: daemon ${sqlite.b4.cpu_share.daemons}, machine ${sqlite.b4.cpu_share.machine}`,
      sqlite.b4.p50_ms,
      sqlite.b4.p95_ms,
      null,
      null,
      '',
      undefined,
    )
    for (const run of postgres.b4) {
      const share = run.cpu_share
      add(
        'B11',
        `B4 PostgreSQL, ${run.daemons} daemon(s): ${run.per_sec} req/s, ${run.errors} errors, ${run.lost_writes} lost; CPU: daemons ${share.daemons}, server ${share.postgres ?? '?'}, clients ${share.bench_clients}, machine ${share.machine}`,
        run.p50_ms,
        run.p95_ms,
        null,
        null,
        '0 err, 0 lost',
        run.errors === 0 && run.lost_writes === 0,
      )
    }
    const s = r.B11.saturation
    if (s)
      add(
        'B11',
        s.at_daemons
          ? `B4 stops growing after ${s.at_daemons} daemon(s) (${s.per_sec} → ${s.next.per_sec} req/s with ${s.next.daemons})`
          : `B4 still growing at 3 daemons (${s.per_sec} req/s)`,
        null,
        null,
        null,
        null,
        '',
        undefined,
      )
    for (const key of ['migrate_10k', 'migrate_100k']) {
      const m = r.B11[key]
      if (m)
        add(
          'B11',
          `migrate SQLite → PostgreSQL, ${m.memories} memories: ${m.rows_per_sec_copy} rows/s copy (${m.copy_s} s), ${m.rows_per_sec_with_verify} rows/s with verification`,
          null,
          null,
          null,
          null,
          '',
          undefined,
        )
    }
  }
  const header = ['#', 'figure', 'p50 ms', 'p95 ms', 'ref p50', 'ratio', 'target', '']
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)))
  const line = (cells) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]))
      .join('  ')
      .trimEnd()
  console.log(`Signet bench (${m.mode}) — ${m.cores} cores ${m.cpu}, Node ${m.node}, ${m.platform}, commit ${m.commit ?? '?'}`)
  console.log(line(header))
  console.log(widths.map((width) => '-'.repeat(width)).join('  '))
  for (const row of rows) console.log(line(row))
}
