// Where the daemon's CPU goes under B4 (32 keyed clients, 80 % recall / 20 % remember, 10k store):
// the daemon runs under `node --cpu-prof`, and its profile is summarised by self time and by the
// stages of a request (bench/README.md, "B4: 32 clients").
// node bench/tools/profile-b4.mjs [seconds] [outDir]    (node bench/tools/profile-b4.mjs --summarise file.cpuprofile)
// The daemon runs from dist/cli.cjs: build it readable first (`SIGNET_BUNDLE_DEBUG=1 node
// scripts/bundle-cli.mjs`), so each frame can be traced to its module through esbuild's `// path` lines.
import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {makeWorkspace, startDaemon} from '../lib/daemon.js'
import {benchConcurrency, samplePrompts, seedMemories} from '../lib/figures.js'
import {loadLocomo} from '../lib/locomo.js'

/**
 * Stages of a request, matched against a frame's function name and file. The first seven are
 * looked for anywhere on the sample's stack, in this order (an FTS5 query inside a recall is the
 * query, a SQLite commit inside remember is remember); the rest by the innermost frame that matches.
 */
const ANYWHERE = 7
const STAGES = [
  ['recall: FTS5 bm25 queries (ranked)', (f) => /lexical-index\.js$/.test(f.url) && /^(rankedBy|rankedWithin)$/.test(f.functionName)],
  ['recall: row reads and filters (passing, neighbours, texts, rows, storedWords)', (f) => /lexical-index\.js$/.test(f.url)],
  [
    'recall: ranker JS (query terms, proximity, scoring, typo, vocabulary)',
    (f) => /\/store\/(recall-ranker|proximity|search|query-terms|typo|vocabulary|search-text)\.js/.test(f.url),
  ],
  ['recall workers: messages', (f) => /recall-workers?\.js$/.test(f.url)],
  [
    'remember: store (redaction, hash, SQLite insert + commit)',
    (f) => /\/store\/(memories|redaction|credential-redaction|content-hash|memory-records)\.js/.test(f.url),
  ],
  ['auth: key verification, scope, rate limits, audit', (f) => /\/daemon\/auth\/|\/store\/(api-keys|audit)\.js|sqlite\/rate-limits/.test(f.url)],
  ['validation (zod, body reading)', (f) => /node_modules\/zod\//.test(f.url) || /request-validation/.test(f.url)],
  ['SQLite (other calls)', (f) => /better-sqlite3/.test(f.url)],
  ['answers (respond, JSON)', (f) => /\/daemon\/respond\.js/.test(f.url) || (/^(parse|stringify)$/.test(f.functionName) && f.url === '')],
  ['hono (routing, context, middleware)', (f) => /node_modules\/hono\//.test(f.url)],
  ['@hono/node-server (request/response adapters)', (f) => /node_modules\/@hono\/node-server\//.test(f.url)],
  ['daemon (routes, guards, logger)', (f) => /\/dist\/daemon\//.test(f.url)],
  [
    'node http / net / streams (incl. the writev syscall)',
    (f) => /^node:(_http|http|net|stream|internal\/(streams|http|net|stream_base))/.test(f.url) || f.functionName === 'writev',
  ],
  ['garbage collection', (f) => f.functionName === '(garbage collector)'],
  ['idle', (f) => f.functionName === '(idle)'],
  ['program / other native', (f) => f.functionName === '(program)'],
]

/** For a bundle, the module each line belongs to (esbuild's `// dist/…` and `// node_modules/…` lines). */
function moduleOfLine(bundleFile) {
  const starts = []
  readFileSync(bundleFile, 'latin1')
    .split('\n')
    .forEach((line, index) => {
      const found = /^\/\/ ((?:dist|node_modules)\/\S+\.[cm]?js)$/.exec(line)
      if (found) starts.push([index, found[1]])
    })
  return (line) => {
    let low = 0
    let high = starts.length - 1
    let module = undefined
    while (low <= high) {
      const mid = (low + high) >> 1
      if (starts[mid][0] <= line) {
        module = starts[mid][1]
        low = mid + 1
      } else high = mid - 1
    }
    return module
  }
}

export function summarise(profile) {
  const modules = new Map()
  for (const node of profile.nodes) {
    const frame = node.callFrame
    if (!frame.url.endsWith('.cjs')) continue
    const file = frame.url.replace(/^file:\/\//, '')
    if (!modules.has(file)) modules.set(file, moduleOfLine(file))
    const module = modules.get(file)(frame.lineNumber)
    if (module) frame.url = `/${module}`
  }
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const parent = new Map()
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
  const dt = new Map()
  for (let i = 0; i < profile.samples.length; i++) dt.set(i, (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0) / 1000)
  const self = new Map()
  const stages = new Map()
  let total = 0
  profile.samples.forEach((id, i) => {
    const ms = dt.get(i)
    total += ms
    const node = byId.get(id)
    const key = `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.replace(/.*\/(node_modules|dist)\//, '$1/')}:${node.callFrame.lineNumber + 1}`
    self.set(key, (self.get(key) ?? 0) + ms)
    const stack = []
    for (let at = id; at !== undefined; at = parent.get(at)) stack.push(byId.get(at).callFrame)
    let stage = STAGES.slice(0, ANYWHERE).find(([, test]) => stack.some(test))?.[0]
    for (const frame of stack) {
      if (stage) break
      stage = STAGES.slice(ANYWHERE).find(([, test]) => test(frame))?.[0]
    }
    stage ??= 'other'
    stages.set(stage, (stages.get(stage) ?? 0) + ms)
  })
  const top = (map, n) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, ms]) => ({what: k, ms: Math.round(ms), share: `${((ms / total) * 100).toFixed(1)}%`}))
  return {total_ms: Math.round(total), stages: top(stages, 30), self: top(self, 40)}
}

const invoked = import.meta.url === pathToFileURL(process.argv[1]).href
if (invoked && process.argv[2] === '--summarise') {
  console.log(JSON.stringify(summarise(JSON.parse(readFileSync(process.argv[3], 'utf8'))), null, 1))
} else if (invoked) {
  const seconds = Number(process.argv[2] ?? 10)
  const outDir = process.argv[3] ?? '/tmp/signet-prof-b4'
  const ws = await makeWorkspace()
  await seedMemories(ws.workspace, 10_000)
  const daemon = await startDaemon(
    {...ws, env: {...ws.env, SIGNET_RECALL_WORKERS: process.env.SIGNET_RECALL_WORKERS ?? ''}},
    {nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${outDir}`]},
  )
  let result
  try {
    const prompts = samplePrompts(loadLocomo())
    await benchConcurrency(daemon, {seconds: 2, prompts, round: 9}) // warm-up
    const client0 = process.cpuUsage()
    result = await benchConcurrency(daemon, {seconds, prompts})
    const client = process.cpuUsage(client0)
    result.client_cpu_ms_per_request = Math.round(((client.user + client.system) / 1000 / result.requests) * 100) / 100
  } finally {
    await daemon.stop()
    ws.cleanup()
  }
  const file = readdirSync(outDir)
    .filter((name) => name.endsWith('.cpuprofile'))
    .map((name) => path.join(outDir, name))
    .sort()
    .at(-1)
  const {requests, per_sec, p50_ms, p95_ms, daemon_cpu_ms_per_request, client_cpu_ms_per_request} = result
  console.log(
    JSON.stringify(
      {
        b4: {requests, per_sec, p50_ms, p95_ms, daemon_cpu_ms_per_request, client_cpu_ms_per_request},
        profile: file,
        ...summarise(JSON.parse(readFileSync(file, 'utf8'))),
      },
      null,
      1,
    ),
  )
}
