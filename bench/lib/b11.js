import http from 'node:http'
import os from 'node:os'
import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import pg from 'pg'
import {parseDocument} from 'yaml'

import {ROOT, makeWorkspace, startDaemon} from './daemon.js'
import {benchConcurrency, benchImport, benchRecall, benchRemember, runMixedClients, seedMemories} from './figures.js'
import {createDatabase, externalCluster, startCluster} from './postgres.js'
import {prng, round, summarize} from './stats.js'

/**
 * B11 (BENCHMARKS.md): Signet on PostgreSQL beside SQLite. B2 recall at 10k and 100k, B3 remember
 * (one client over HTTP, and the bulk import route), B4 (32 clients, 80 % recall / 20 % remember,
 * each with its own key) through 1, 2 and 3 daemons on one database, and the rows/s of
 * `migrateTables` (src/store/storage-migration.ts) from a SQLite store into PostgreSQL — which is
 * also how the PostgreSQL stores are seeded, so both backends hold the same memories.
 *
 * With no `postgres` URL a throwaway server is started from Debian's binaries with PostgreSQL's
 * defaults (fsync and synchronous_commit on) and its CPU is read from /proc; the machine's share
 * spent by the server, the daemons and the bench's own clients is reported for every B4 run, so
 * it shows what saturates.
 */
export async function benchPostgres({quick, prompts, log, postgres, seconds}) {
  const cluster = postgres ? externalCluster(postgres) : await startCluster()
  const runSeconds = seconds ?? (quick ? 10 : 20)
  const out = {server: {version: cluster.version, settings: cluster.settings, local: !postgres}}
  const databases = []
  try {
    // 10k: seed SQLite, migrate it to PostgreSQL, then the same figures on both.
    const small = await makeWorkspace()
    try {
      log('B11: seeding 10k memories into SQLite')
      const seeded = await seedMemories(small.workspace, 10_000)
      const db10k = await createDatabase(cluster.adminUrl, `signet_b11_10k_${process.pid}`)
      databases.push(db10k)
      log('B11: migrating the 10k store to PostgreSQL')
      out.migrate_10k = await migrate(small.workspace, db10k.url)

      log('B11: three PostgreSQL daemons on the 10k database')
      const team = []
      try {
        for (let index = 0; index < 3; index++) team.push(await startPostgresDaemon(db10k.url))
        out.postgres = {}
        // Right after a bulk load the planner has no statistics until autovacuum's ANALYZE (within
        // about a minute); measured once that way, then as a server in use would run.
        log('B11: B2 on PostgreSQL straight after the migration, then after ANALYZE')
        out.postgres.b2_10k_before_analyze = await withServerCpu(cluster, () => benchRecall(team[0], {reps: 100, prompts}), 100)
        out.migrate_10k.analyze_s = await analyze(db10k.url)
        out.postgres.b2_10k = await withServerCpu(cluster, () => benchRecall(team[0], {reps: quick ? 200 : 400, prompts}), quick ? 200 : 400)
        out.postgres.b4 = []
        for (const count of [1, 2, 3]) {
          log(`B11: B4, 32 clients through ${count} daemon${count > 1 ? 's' : ''}, ${runSeconds} s`)
          out.postgres.b4.push(await benchSpread(team.slice(0, count), cluster, {seconds: runSeconds, prompts, round: count}))
          await new Promise((resolve) => setTimeout(resolve, 1000))
        }
        log('B11: B3 on PostgreSQL')
        out.postgres.b3 = await withServerCpu(cluster, () => benchRemember(team[0], {count: quick ? 500 : 1500}), quick ? 500 : 1500)
        out.postgres.b3.bulk = await benchImport(team[0], {count: 20_000})
      } finally {
        await Promise.all(team.map((daemon) => daemon.stopAll()))
      }

      log('B11: SQLite daemon (10k): B2, B4, B3')
      const sqlite = await startDaemon(small)
      try {
        out.sqlite = {seed_per_sec: seeded.perSecond}
        out.sqlite.b2_10k = await benchRecall(sqlite, {reps: quick ? 200 : 400, prompts})
        const machineBefore = machineBusyMs()
        const started = performance.now()
        out.sqlite.b4 = await benchConcurrency(sqlite, {seconds: runSeconds, prompts})
        const cores = os.cpus().length
        // Shares of the whole machine, as for PostgreSQL below (benchConcurrency's daemon_cpu_share is in cores).
        out.sqlite.b4.cpu_share = {
          daemons: round(out.sqlite.b4.daemon_cpu_share / cores),
          machine: round((machineBusyMs() - machineBefore) / ((performance.now() - started) * cores)),
        }
        out.sqlite.b3 = await benchRemember(sqlite, {count: quick ? 500 : 1500})
        out.sqlite.b3.bulk = await benchImport(sqlite, {count: 20_000})
      } finally {
        await sqlite.stop()
      }
    } finally {
      small.cleanup()
    }

    if (!quick) {
      const large = await makeWorkspace()
      try {
        log('B11: seeding 100k memories into SQLite')
        await seedMemories(large.workspace, 100_000)
        const db100k = await createDatabase(cluster.adminUrl, `signet_b11_100k_${process.pid}`)
        databases.push(db100k)
        log('B11: migrating the 100k store to PostgreSQL')
        out.migrate_100k = await migrate(large.workspace, db100k.url)
        out.migrate_100k.analyze_s = await analyze(db100k.url)
        log('B11: B2 at 100k, SQLite then PostgreSQL')
        const sqlite = await startDaemon(large)
        try {
          out.sqlite.b2_100k = await benchRecall(sqlite, {reps: 400, prompts})
        } finally {
          await sqlite.stop()
        }
        const daemon = await startPostgresDaemon(db100k.url)
        try {
          out.postgres.b2_100k = await withServerCpu(cluster, () => benchRecall(daemon, {reps: 400, prompts}), 400)
        } finally {
          await daemon.stopAll()
        }
      } finally {
        large.cleanup()
      }
    }
  } finally {
    for (const database of databases) await database.drop().catch(() => {})
    cluster.stop()
  }
  out.saturation = saturation(out.postgres?.b4 ?? [])
  return out
}

/** A daemon in a workspace of its own whose agent.yaml names the PostgreSQL database (through SIGNET_DATABASE_URL). */
async function startPostgresDaemon(url) {
  const ws = await makeWorkspace()
  const file = path.join(ws.workspace, 'agent.yaml')
  const doc = parseDocument(readFileSync(file, 'utf8'))
  doc.setIn(['storage'], doc.createNode({backend: 'postgres'}))
  writeFileSync(file, doc.toString())
  ws.env.SIGNET_DATABASE_URL = url
  const daemon = await startDaemon(ws)
  daemon.stopAll = async () => {
    await daemon.stop()
    ws.cleanup()
  }
  return daemon
}

/** Adds the server's CPU per operation to a figure (local server only). */
async function withServerCpu(cluster, body, operations) {
  const before = cluster.cpuMs()
  const figure = await body()
  const after = cluster.cpuMs()
  return {...figure, postgres_cpu_ms_per_request: before === null || after === null ? null : round((after - before) / operations)}
}

/** ANALYZE the whole database (what autovacuum does within a minute of a bulk load); seconds taken. */
async function analyze(url) {
  const client = new pg.Client({connectionString: url})
  await client.connect()
  try {
    const started = performance.now()
    await client.query('ANALYZE')
    return round((performance.now() - started) / 1000)
  } finally {
    await client.end()
  }
}

/** CPU time every process on the machine spent (all cores, /proc/stat), ms: the rest is other jobs. */
function machineBusyMs() {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
    // user nice system idle iowait irq softirq steal: busy is all but idle and iowait, in USER_HZ (10 ms).
    const [user, nice, system, , , irq, softirq, steal] = fields
    return (user + nice + system + irq + softirq + (steal ?? 0)) * 10
  } catch {
    return null
  }
}

/** Client CPU of this process (the bench's own HTTP clients), ms. */
function ownCpuMs() {
  const usage = process.cpuUsage()
  return (usage.user + usage.system) / 1000
}

/**
 * B4 through several daemons: 32 clients, each with its own key (created through the first daemon:
 * keys live in the database), client i on daemon i mod n; every acknowledged write is then read
 * back through another daemon than the one that took it.
 */
async function benchSpread(daemons, cluster, {clients = 32, seconds, prompts, round: runIndex}) {
  const keys = []
  for (let index = 0; index < clients; index++) {
    const {status, body} = await daemons[0].json('POST', '/api/auth/api-keys', {name: `b11-${runIndex}-${index}`, role: 'agent'})
    if (status !== 201) throw new Error(`creating a key answered ${status}: ${JSON.stringify(body)}`)
    keys.push(body.apiKey.key)
  }
  // Each client its own connection (keep-alive), as separate machines would be.
  const agents = Array.from({length: clients}, () => new http.Agent({keepAlive: true, maxSockets: 1}))
  const cpu = {daemons: daemons.map((daemon) => daemon.cpuMs()), postgres: cluster.cpuMs(), bench: ownCpuMs(), machine: machineBusyMs()}
  const run = await runMixedClients({
    keys,
    seconds,
    prompts,
    label: `b11 run ${runIndex}`,
    seed: 5000 + runIndex * 100,
    daemonFor: (index) => daemons[index % daemons.length],
    agentFor: (index) => agents[index],
  })
  const {requests, elapsed, errors, firstErrors} = run
  const used = {
    daemons: daemons.reduce((sum, daemon, index) => sum + (daemon.cpuMs() - cpu.daemons[index]), 0),
    postgres: cpu.postgres === null ? null : cluster.cpuMs() - cpu.postgres,
    bench: ownCpuMs() - cpu.bench,
    machine: cpu.machine === null ? null : machineBusyMs() - cpu.machine,
  }
  for (const agent of agents) agent.destroy()
  const written = run.written
  let lost = 0
  for (const write of written) {
    // Read back through another daemon than the one that acknowledged it.
    const reader = daemons[(write.client + 1) % daemons.length]
    const {status} = await reader.json('GET', `/api/memory/${write.id}`, undefined, write.headers)
    if (status !== 200) lost++
  }
  for (const key of keys) await daemons[0].json('DELETE', `/api/auth/api-keys/${key.split('_')[2]}`)
  const cores = os.cpus().length
  // Share of the whole machine (all cores) each part used while the clients ran.
  const share = (ms) => (ms === null ? null : round(ms / 1000 / elapsed / cores))
  return {
    daemons: daemons.length,
    ...summarize(run.latencies),
    requests,
    per_sec: Math.round(requests / elapsed),
    errors,
    writes: written.length,
    lost_writes: lost,
    // machine: every process (other jobs on a shared machine included), so 1 − machine is idle.
    cpu_share: {daemons: share(used.daemons), postgres: share(used.postgres), bench_clients: share(used.bench), machine: share(used.machine)},
    cpu_ms_per_request: {
      daemons: round(used.daemons / Math.max(1, requests)),
      postgres: used.postgres === null ? null : round(used.postgres / Math.max(1, requests)),
    },
    ...(firstErrors.length ? {first_errors: firstErrors} : {}),
  }
}

/** Where adding a daemon stopped adding throughput (less than 10 % more requests per second). */
function saturation(runs) {
  if (runs.length === 0) return null
  let best = runs[0]
  for (const run of runs.slice(1)) {
    if (run.per_sec < best.per_sec * 1.1) return {at_daemons: best.daemons, per_sec: best.per_sec, next: {daemons: run.daemons, per_sec: run.per_sec}}
    best = run
  }
  return {at_daemons: null, per_sec: best.per_sec, note: 'still growing at the last run'}
}

/** SQLite → PostgreSQL with migrateTables, timed: copy (rows/s) and the verification that follows. */
async function migrate(workspace, url) {
  const {openSqliteStorage} = await import(path.join(ROOT, 'dist/store/sqlite/storage.js'))
  const {openPostgresStorage} = await import(path.join(ROOT, 'dist/store/postgres/storage.js'))
  const {migrateTables} = await import(path.join(ROOT, 'dist/store/storage-migration.js'))
  const {workspacePaths} = await import(path.join(ROOT, 'dist/config/paths.js'))
  const source = openSqliteStorage(workspacePaths(workspace).dbPath, {indexInBackground: false})
  const target = await openPostgresStorage({url, indexInBackground: false})
  try {
    const started = performance.now()
    let copiedAt = started
    let lastTable = null
    const report = await migrateTables(source.tables, target.tables, {
      onCheckpoint: () => {
        copiedAt = performance.now()
      },
      onProgress: ({table}) => (lastTable = table),
    })
    const finished = performance.now()
    if (!report.ok) throw new Error(`migration did not verify: ${JSON.stringify(report.tables.filter((table) => !table.ok))}`)
    const memories = report.tables.find((table) => table.table === 'memories')?.sourceRows ?? null
    return {
      rows: report.copied,
      memories,
      tables: report.tables.length,
      copy_s: round((copiedAt - started) / 1000),
      verify_s: round((finished - copiedAt) / 1000),
      rows_per_sec_copy: Math.round(report.copied / ((copiedAt - started) / 1000)),
      rows_per_sec_with_verify: Math.round(report.copied / ((finished - started) / 1000)),
      last_table: lastTable,
    }
  } finally {
    await source.close()
    await target.close()
  }
}
