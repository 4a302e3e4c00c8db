// B5 for several builds in one loop: each rep spawns a bare `node -e ""`, then every command from
// every build, so machine load hits all of them alike. Usage:
//   node bench/tools/cli-start-compare.mjs [--reps 15] label=/path/to/checkout …
// Every checkout must be built; the daemon they talk to is this checkout's.
import path from 'node:path'
import {parseArgs} from 'node:util'

import {makeWorkspace, startDaemon, timeSpawn} from '../lib/daemon.js'
import {CLI_START_COMMANDS} from '../lib/figures.js'
import {ratio, summarize} from '../lib/stats.js'

const {values, positionals} = parseArgs({options: {reps: {type: 'string', default: '15'}}, allowPositionals: true})
const builds = positionals.map((spec) => {
  const [label, root] = spec.split('=')
  return {label, runJs: path.join(root, 'bin/run.js')}
})
const ws = await makeWorkspace()
const daemon = await startDaemon(ws)
try {
  const reference = []
  const samples = new Map()
  for (const build of builds) for (const name of Object.keys(CLI_START_COMMANDS)) samples.set(`${build.label} ${name}`, [])
  // First runs write each build's code cache.
  for (const build of builds) for (const args of Object.values(CLI_START_COMMANDS)) await timeSpawn([build.runJs, ...args], {env: daemon.env})
  for (let i = 0; i < Number(values.reps); i++) {
    reference.push((await timeSpawn(['-e', ''], {env: daemon.env})).ms)
    for (const [name, args] of Object.entries(CLI_START_COMMANDS)) {
      for (const build of builds) samples.get(`${build.label} ${name}`).push((await timeSpawn([build.runJs, ...args], {env: daemon.env})).ms)
    }
  }
  const ref = summarize(reference)
  console.log(`bare node p50 ${ref.p50_ms} ms, ${values.reps} reps`)
  console.log(['command', ...builds.map((build) => `${build.label} p50 ms (× node)`)].join(' | '))
  for (const name of Object.keys(CLI_START_COMMANDS)) {
    const cells = builds.map((build) => {
      const s = summarize(samples.get(`${build.label} ${name}`))
      return `${s.p50_ms} (${ratio(s.p50_ms, ref.p50_ms)}×)`
    })
    console.log([`signet ${CLI_START_COMMANDS[name].join(' ')}`, ...cells].join(' | '))
  }
} finally {
  await daemon.stop()
  ws.cleanup()
}
