// B3's bulk figure alone, with the daemon's CPU per row: node bench/tools/bulk-import.mjs [count] [seed]
// (SIGNET_BENCH_ROOT=/other/checkout to measure another build).
import {makeWorkspace, startDaemon} from '../lib/daemon.js'
import {benchImport, seedMemories} from '../lib/figures.js'

const count = Number(process.argv[2] ?? 20_000)
const seed = Number(process.argv[3] ?? 10_000)
const ws = await makeWorkspace()
if (seed > 0) await seedMemories(ws.workspace, seed)
const daemon = await startDaemon(ws)
try {
  const cpu0 = daemon.cpuMs()
  const result = await benchImport(daemon, {count})
  console.log(JSON.stringify({...result, seed, daemon_cpu_us_per_row: Math.round(((daemon.cpuMs() - cpu0) / count) * 1000)}))
} finally {
  await daemon.stop()
  ws.cleanup()
}
