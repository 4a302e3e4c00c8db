// Where the daemon's memory goes under B4 load (B6): RSS split into anonymous and file-backed
// (/proc/<pid>/smaps_rollup), the V8 heap from --trace-gc (committed, and live after the last full
// GC), after each of three B4 runs on a 10k store. The daemon runs with the node flags and
// environment `signet daemon start` gives it (src/daemon/memory-settings.ts); extra arguments replace
// the flags (`none`: no flags), and a variable set in the environment wins:
//   node bench/tools/daemon-memory.mjs [seconds=20] [--max-semi-space-size=8 … | none]
import {spawn} from 'node:child_process'
import {readFileSync} from 'node:fs'
import http from 'node:http'
import path from 'node:path'

import {cpuMs, daemonSettings, freePort, makeWorkspace, RUN_JS} from '../lib/daemon.js'
import {benchConcurrency, samplePrompts, seedMemories} from '../lib/figures.js'
import {loadLocomo} from '../lib/locomo.js'

const pick = (env, names) => Object.fromEntries(names.filter((name) => env[name] !== undefined).map((name) => [name, env[name]]))
const seconds = Number(process.argv[2] ?? 20)
const given = process.argv.slice(3)
const settings = await daemonSettings()
const nodeFlags = given.length === 0 ? settings.flags : given.filter((flag) => flag !== 'none')
console.log(
  `daemon node flags: ${nodeFlags.join(' ') || '(none)'}; environment: ${JSON.stringify({...settings.env, ...pick(process.env, Object.keys(settings.env))})}`,
)
const ws = await makeWorkspace()
await seedMemories(ws.workspace, 10_000)
const port = await freePort()
// --trace-gc prints to stdout, which the daemon (--quiet) does not otherwise use.
const child = spawn(process.execPath, ['--trace-gc', ...nodeFlags, RUN_JS, 'daemon', 'run', '--quiet'], {
  env: {...settings.env, ...ws.env, SIGNET_PORT: String(port)},
  stdio: ['ignore', 'pipe', 'ignore'],
})
const gc = []
child.stdout.on('data', (chunk) => {
  for (const line of String(chunk).split('\n')) if (/Scavenge|Mark-Compact/.test(line)) gc.push(line.replace(/^\[\d+:0x[0-9a-f]+\]\s+/, '').trim())
})
const url = `http://127.0.0.1:${port}`
for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${url}/health`)).ok) break
  } catch {
    if (i > 200) throw new Error('the daemon did not start')
  }
  await new Promise((resolve) => setTimeout(resolve, 100))
}
const owner = {authorization: `Bearer ${readFileSync(path.join(ws.workspace, '.daemon', 'admin.token'), 'utf8').trim()}`}
const agent = new http.Agent({keepAlive: true})
// The two methods benchConcurrency uses, as bench/lib/daemon.js's startDaemon provides them.
const daemon = {
  json(method, route, body, headers = {}) {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const sent =
      payload === undefined ? {...owner, ...headers} : {...owner, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers}
    return new Promise((resolve, reject) => {
      const request = http.request(`${url}${route}`, {method, agent, headers: sent}, (response) => {
        let text = ''
        response.setEncoding('utf8')
        response.on('data', (chunk) => (text += chunk))
        response.on('end', () => resolve({status: response.statusCode, body: text ? JSON.parse(text) : undefined}))
      })
      request.on('error', reject)
      request.end(payload)
    })
  },
  cpuMs: () => cpuMs(child.pid),
}

/** `Scavenge 48.1 (99.6) -> 34.4 (99.6) MB`: used (committed) before -> after. */
const heapOf = (line) => /(\d+\.\d) \((\d+\.\d)\) -> (\d+\.\d) \((\d+\.\d)\) MB/.exec(line ?? '')
function report(label, extra = '') {
  const rollup = readFileSync(`/proc/${child.pid}/smaps_rollup`, 'utf8')
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(rollup)?.[1] ?? 0)
  const mb = (value) => Math.round(value / 1024)
  const peak = mb(Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]))
  const last = heapOf(gc.at(-1))
  const full = heapOf(gc.filter((line) => line.includes('Mark-Compact')).at(-1))
  console.log(
    `${label.padEnd(12)} RSS ${mb(kb('Rss'))} MB (anonymous ${mb(kb('Anonymous'))}, file-backed ${mb(kb('Rss') - kb('Anonymous'))}), peak ${peak};` +
      ` V8 heap committed ${last?.[4] ?? '?'} MB, live after the last full GC ${full?.[3] ?? '—'} MB${extra}`,
  )
}

try {
  await new Promise((resolve) => setTimeout(resolve, 2000))
  report('idle')
  const prompts = samplePrompts(loadLocomo())
  for (let run = 0; run < 3; run++) {
    const result = await benchConcurrency(daemon, {seconds, prompts, round: run})
    await new Promise((resolve) => setTimeout(resolve, 1000))
    report(`after run ${run + 1}`, `; ${result.requests} requests, ${result.errors} errors, daemon CPU ${result.daemon_cpu_ms_per_request} ms/request`)
  }
} finally {
  agent.destroy()
  child.kill('SIGTERM')
  await new Promise((resolve) => child.once('exit', resolve))
  ws.cleanup()
}
