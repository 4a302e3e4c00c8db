// Profile the daemon's hot paths: 10k seeded memories, then B3-style remember and B4-style keyed
// recall/remember under `node --cpu-prof`. Usage: node bench/tools/profile-hot-paths.mjs [outDir]
import {makeWorkspace, startDaemon} from '../lib/daemon.js'
import {benchConcurrency, benchRemember, samplePrompts, seedMemories} from '../lib/figures.js'
import {loadLocomo} from '../lib/locomo.js'

const outDir = process.argv[2] ?? '/tmp/signet-prof'
const ws = await makeWorkspace()
await seedMemories(ws.workspace, 10_000)
const daemon = await startDaemon(ws, {nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${outDir}`]})
try {
  const prompts = samplePrompts(loadLocomo())
  const remember = await benchRemember(daemon, {count: 1500})
  const cpu0 = daemon.cpuMs()
  const concurrency = await benchConcurrency(daemon, {seconds: 8, prompts})
  console.log(JSON.stringify({remember, concurrency, cpu: daemon.cpuMs() - cpu0}, null, 1))
} finally {
  await daemon.stop()
  ws.cleanup()
}
