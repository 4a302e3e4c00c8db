// B3's sequential remember alone: daemon CPU per remember and p50 beside /health, on a 10k store.
// node bench/tools/remember-cpu.mjs [count]   (SIGNET_BENCH_ROOT=/other/checkout for another build)
import {makeWorkspace, startDaemon} from '../lib/daemon.js'
import {benchRemember, seedMemories} from '../lib/figures.js'

const ws = await makeWorkspace()
await seedMemories(ws.workspace, 10_000)
const daemon = await startDaemon(ws)
try {
  // Warm-up: the first requests compile the route's code.
  await benchRemember(daemon, {count: 200})
  console.log(JSON.stringify(await benchRemember(daemon, {count: Number(process.argv[2] ?? 2000)})))
} finally {
  await daemon.stop()
  ws.cleanup()
}
