import {readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {cpus, loadavg} from 'node:os'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {workspacePaths} from '../../src/config/paths.js'
import {initWorkspace} from '../../src/config/workspace.js'
import {makeTempHome, type TempHome} from '../helpers/temp-home.js'
import {spawnDaemon, type SpawnedDaemon} from '../reliability/support/spawned-daemon.js'

/**
 * BENCHMARKS.md B4 held for minutes (B6 watches memory): 32 connectors with their own agent-scoped
 * keys, 80 % recall / 20 % remember, as fast as the daemon answers. Every interval it reports the
 * daemon's RSS, open file descriptors and latency percentiles; at the end they must not have grown.
 */
const MINUTES = Number(process.env.SOAK_MINUTES ?? 10)
const CLIENTS = Number(process.env.SOAK_CLIENTS ?? 32)
const TOTAL_MS = MINUTES * 60_000
/** One report a minute, or at least six reports for a short run. */
const INTERVAL_MS = Math.min(60_000, TOTAL_MS / 6)
const PRELOAD_PER_AGENT = 60

const WORDS = (
  'deploy pipeline staging database migration rollback cache redis postgres kafka queue worker cron backup ' +
  'release tag branch review lint test coverage flaky timeout retry budget latency index vector token ' +
  'schema api gateway proxy nginx tls certificate secret vault rotation alert pager oncall incident ' +
  'dashboard metric trace span log rotate disk memory leak profile heap cpu thread pool socket port ' +
  'docker image registry helm chart cluster node pod service ingress dns domain email invoice billing ' +
  'customer tenant feature flag experiment rollout canary blue green shadow traffic mirror replay'
).split(' ')

let temp: TempHome
let daemon: SpawnedDaemon

interface Connector {
  agentId: string
  key: string
  written: number
}

interface Interval {
  minute: number
  requests: number
  errors: number
  p50: number
  p95: number
  p99: number
  rssMb: number
  fds: number
  dbMb: number
}

function randomWords(count: number, seed: number): string {
  let state = seed
  const out: string[] = []
  for (let i = 0; i < count; i++) {
    state = (state * 1103515245 + 12345) & 0x7fffffff
    out.push(WORDS[state % WORDS.length])
  }
  return out.join(' ')
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024
}

const openFds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

beforeAll(async () => {
  temp = makeTempHome('signet-soak-')
  initWorkspace(temp.workspace)
  writeFileSync(workspacePaths(temp.workspace).agentYaml, 'version: 1\nagent:\n  name: soak\nauth:\n  mode: hybrid\n')
  daemon = await spawnDaemon({workspace: temp.workspace, env: temp.env})
})

afterAll(async () => {
  await daemon?.kill('SIGTERM')
  temp?.cleanup()
})

describe('soak: B4 load for SOAK_MINUTES', () => {
  it(`${CLIENTS} keyed connectors, 80 % recall / 20 % remember, for ${MINUTES} min: no errors, nothing lost, RSS/fds/latency flat`, async () => {
    const connectors: Connector[] = []
    for (let index = 0; index < CLIENTS; index++) {
      const response = await fetch(`${daemon.url}/api/auth/api-keys`, {
        method: 'POST',
        headers: daemon.ownerHeaders({'content-type': 'application/json'}),
        body: JSON.stringify({name: `soak ${index}`, role: 'agent', agentId: `soak-${index}`}),
      })
      connectors.push({agentId: `soak-${index}`, key: ((await response.json()) as {apiKey: {key: string}}).apiKey.key, written: 0})
    }
    const call = async (connector: Connector, route: string, body: unknown) =>
      fetch(`${daemon.url}${route}`, {
        method: 'POST',
        headers: {authorization: `Bearer ${connector.key}`, 'content-type': 'application/json'},
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      })
    // A corpus to recall from before the clock starts.
    await Promise.all(
      connectors.map(async (connector, index) => {
        for (let n = 0; n < PRELOAD_PER_AGENT; n++) {
          const response = await call(connector, '/api/memory/remember', {content: `preload ${index}-${n}: ${randomWords(12, index * 100_000 + n)}`})
          if (response.status === 201) connector.written++
          await response.arrayBuffer()
        }
      }),
    )
    // Idle baselines once the preload's keep-alive connections have closed (server keep-alive is 5 s).
    await new Promise((resolve) => setTimeout(resolve, 6000))
    const idleRss = rssMb(daemon.pid)
    const idleFds = openFds(daemon.pid)

    let latencies: number[] = []
    let requests = 0
    let errors = 0
    const errorKinds = new Map<string, number>()
    const started = Date.now()
    const deadline = started + TOTAL_MS
    const client = async (connector: Connector, index: number) => {
      for (let n = 0; Date.now() < deadline; n++) {
        const write = (n * 7 + index) % 5 === 0
        const begun = performance.now()
        try {
          const response = write
            ? await call(connector, '/api/memory/remember', {
                content: `soak ${index}-${n}-${started}: ${randomWords(12, index * 7919 + n * 104_729 + started)}`,
              })
            : await call(connector, '/api/memory/recall', {query: randomWords(3, index * 31 + n), limit: 10})
          await response.arrayBuffer()
          latencies.push(performance.now() - begun)
          requests++
          if (write && response.status === 201) connector.written++
          else if (!(response.status === 200 || (write && response.status === 201))) {
            errors++
            errorKinds.set(String(response.status), (errorKinds.get(String(response.status)) ?? 0) + 1)
          }
        } catch (error) {
          errors++
          errorKinds.set(String((error as Error).name), (errorKinds.get(String((error as Error).name)) ?? 0) + 1)
        }
      }
    }

    const intervals: Interval[] = []
    const sampler = (async () => {
      let lastRequests = 0
      let lastErrors = 0
      for (let tick = 1; tick * INTERVAL_MS <= TOTAL_MS + 1; tick++) {
        await new Promise((resolve) => setTimeout(resolve, started + tick * INTERVAL_MS - Date.now()))
        const sorted = latencies.sort((a, b) => a - b)
        latencies = []
        const sample: Interval = {
          minute: Math.round((tick * INTERVAL_MS) / 600) / 100,
          requests: requests - lastRequests,
          errors: errors - lastErrors,
          p50: percentile(sorted, 50),
          p95: percentile(sorted, 95),
          p99: percentile(sorted, 99),
          rssMb: rssMb(daemon.pid),
          fds: openFds(daemon.pid),
          dbMb:
            (statSync(workspacePaths(temp.workspace).dbPath).size +
              (statSync(`${workspacePaths(temp.workspace).dbPath}-wal`, {throwIfNoEntry: false})?.size ?? 0)) /
            1_048_576,
        }
        lastRequests = requests
        lastErrors = errors
        intervals.push(sample)
        console.info(
          `soak t=${sample.minute.toFixed(2)} min: ${sample.requests} req (${(sample.requests / (INTERVAL_MS / 1000)).toFixed(0)}/s), ${sample.errors} errors, ` +
            `p50 ${sample.p50.toFixed(1)} ms p95 ${sample.p95.toFixed(1)} ms p99 ${sample.p99.toFixed(1)} ms, ` +
            `RSS ${sample.rssMb.toFixed(1)} MB, fds ${sample.fds}, db ${sample.dbMb.toFixed(1)} MB`,
        )
      }
    })()
    await Promise.all(connectors.map((connector, index) => client(connector, index)))
    await sampler

    // Idle again (B6): RSS and descriptors once the clients' connections have closed.
    await new Promise((resolve) => setTimeout(resolve, 6000))
    const afterRss = rssMb(daemon.pid)
    const afterFds = openFds(daemon.pid)
    console.info(
      `soak idle: RSS ${idleRss.toFixed(1)} MB before, ${afterRss.toFixed(1)} MB after; fds ${idleFds} before, ${afterFds} after; ` +
        `${requests} requests, ${errors} errors ${JSON.stringify(Object.fromEntries(errorKinds))}; ${cpus().length} cores, load ${loadavg()
          .map((n) => n.toFixed(1))
          .join(' ')}, node ${process.version}`,
    )

    expect(errors, JSON.stringify(Object.fromEntries(errorKinds))).toBe(0)
    // Nothing lost: every agent lists exactly as many memories as it was told were stored.
    for (const connector of connectors) {
      const response = await fetch(`${daemon.url}/api/memories?limit=1`, {headers: {authorization: `Bearer ${connector.key}`}})
      const {total} = (await response.json()) as {total: number}
      expect(total, connector.agentId).toBe(connector.written)
    }
    // Flat: compare the last samples with the first ones after warm-up (the first interval warms caches and JIT).
    expect(intervals.length).toBeGreaterThanOrEqual(4)
    const early = intervals.slice(1, 3)
    const late = intervals.slice(-2)
    const rssEarly = median(early.map((s) => s.rssMb))
    const rssLate = Math.max(...late.map((s) => s.rssMb))
    expect(rssLate, `RSS grew from ${rssEarly.toFixed(1)} to ${rssLate.toFixed(1)} MB`).toBeLessThanOrEqual(rssEarly * 1.15 + 10)
    // Under load the count moves with the clients' sockets; idle, it must come back to where it was.
    expect(Math.max(...late.map((s) => s.fds)), 'open file descriptors grew under load').toBeLessThanOrEqual(Math.max(...early.map((s) => s.fds)) + CLIENTS / 2)
    expect(afterFds, 'file descriptors left open after the load').toBeLessThanOrEqual(idleFds + 2)
    // Latency may rise a little as the corpus grows (every recall searches more rows), and the cores
    // are shared with other work, so one slow interval proves nothing: a runaway slows every interval
    // of the second half, so its best one is compared with the worst early one.
    const p95Early = Math.max(...early.map((s) => s.p95))
    const p95LateBest = Math.min(...intervals.slice(Math.floor(intervals.length / 2)).map((s) => s.p95))
    expect(p95LateBest, `p95: best of the second half ${p95LateBest.toFixed(1)} ms vs ${p95Early.toFixed(1)} ms early`).toBeLessThanOrEqual(p95Early * 2 + 25)
    expect(afterRss).toBeLessThanOrEqual(Math.max(...intervals.map((s) => s.rssMb)) + 5)
  })
})
