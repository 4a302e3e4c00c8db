// B4 (32 keyed clients, 80 % recall / 20 % remember) on one 10k store, with the daemon's recall in
// process and on worker threads, alternating in one loop so machine load hits every setting alike.
// node bench/tools/b4-workers.mjs [seconds] [rounds] [workers,...]    e.g. 10 3 0,1,2
// (SIGNET_RECALL_WORKERS for each daemon; bench/README.md, "B4: 32 clients").
import {readFileSync} from 'node:fs'
import {loadavg} from 'node:os'

import {makeWorkspace, startDaemon} from '../lib/daemon.js'
import {benchConcurrency, samplePrompts, seedMemories} from '../lib/figures.js'
import {loadLocomo} from '../lib/locomo.js'

/** CPU ms (user + system) of one thread of a process: the main thread is the one whose id is the pid. */
function threadCpuMs(pid, tid) {
  const fields = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

const seconds = Number(process.argv[2] ?? 10)
const rounds = Number(process.argv[3] ?? 3)
const settings = (process.argv[4] ?? '0,1,2').split(',')
const prompts = samplePrompts(loadLocomo())
const ws = await makeWorkspace()
await seedMemories(ws.workspace, 10_000)
const rows = []
try {
  for (let round = 0; round < rounds; round++) {
    for (const workers of settings) {
      const daemon = await startDaemon({...ws, env: {...ws.env, SIGNET_RECALL_WORKERS: workers}})
      try {
        await new Promise((resolve) => setTimeout(resolve, 1000))
        const idle = daemon.rssMb()
        await benchConcurrency(daemon, {seconds: 2, prompts, round: 100 + round}) // warm-up
        const client0 = process.cpuUsage()
        const main0 = threadCpuMs(daemon.pid, daemon.pid)
        const all0 = daemon.cpuMs()
        const result = await benchConcurrency(daemon, {seconds, prompts, round})
        const client = process.cpuUsage(client0)
        const main = threadCpuMs(daemon.pid, daemon.pid) - main0
        const others = daemon.cpuMs() - all0 - main
        await new Promise((resolve) => setTimeout(resolve, 1000))
        const row = {
          workers,
          round,
          per_sec: result.per_sec,
          p50_ms: result.p50_ms,
          p95_ms: result.p95_ms,
          errors: result.errors,
          lost: result.lost_writes,
          daemon_cpu_ms_per_req: result.daemon_cpu_ms_per_request,
          main_thread_cpu_ms_per_req: Math.round((main / result.requests) * 100) / 100,
          other_threads_cpu_ms_per_req: Math.round((others / result.requests) * 100) / 100,
          daemon_cores: result.daemon_cpu_share,
          client_cpu_ms_per_req: Math.round(((client.user + client.system) / 1000 / result.requests) * 100) / 100,
          rss_idle_mb: idle,
          rss_after_mb: daemon.rssMb(),
          load1: Math.round(loadavg()[0] * 10) / 10,
          ...(result.first_errors ? {first_errors: result.first_errors} : {}),
        }
        rows.push(row)
        console.log(JSON.stringify(row))
      } finally {
        await daemon.stop()
      }
    }
  }
} finally {
  ws.cleanup()
}
const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]
for (const workers of settings) {
  const mine = rows.filter((row) => row.workers === workers)
  console.log(
    `workers=${workers}: median req/s ${median(mine.map((r) => r.per_sec))}, p50 ${median(mine.map((r) => r.p50_ms))} ms, p95 ${median(mine.map((r) => r.p95_ms))} ms, errors ${mine.reduce((s, r) => s + r.errors, 0)}, lost ${mine.reduce((s, r) => s + r.lost, 0)}, daemon CPU ${median(mine.map((r) => r.daemon_cpu_ms_per_req))} ms/req, RSS after ${median(mine.map((r) => r.rss_after_mb))} MB`,
  )
}
