import {writeFileSync} from 'node:fs'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {workspacePaths} from '../../src/config/paths.js'
import {initWorkspace} from '../../src/config/workspace.js'
import {makeTempHome, type TempHome} from '../helpers/temp-home.js'
import {spawnDaemon, type SpawnedDaemon} from './support/spawned-daemon.js'

const CONNECTORS = 32
/** Operations per connector; SIGNET_CONCURRENCY_OPS raises it for a longer local run. */
const OPS = Number(process.env.SIGNET_CONCURRENCY_OPS ?? 60)

let temp: TempHome
let daemon: SpawnedDaemon

beforeAll(async () => {
  temp = makeTempHome()
  initWorkspace(temp.workspace)
  writeFileSync(workspacePaths(temp.workspace).agentYaml, 'version: 1\nagent:\n  name: concurrency\nauth:\n  mode: hybrid\n')
  daemon = await spawnDaemon({workspace: temp.workspace, env: temp.env})
})

afterAll(async () => {
  await daemon?.kill('SIGTERM')
  temp?.cleanup()
})

interface Connector {
  index: number
  agentId: string
  key: string
  marker: string
  written: Set<string>
}

interface Tally {
  requests: number
  /** Unexpected answers, as `route status code`. */
  errors: string[]
  leaks: string[]
  busy: number
  probesRefused: number
  latencies: number[]
}

async function call(connector: Connector, tally: Tally, method: string, path: string, body?: unknown): Promise<{status: number; body: any}> {
  const started = performance.now()
  tally.requests++
  const response = await fetch(`${daemon.url}${path}`, {
    method,
    headers: {authorization: `Bearer ${connector.key}`, 'content-type': 'application/json', 'x-signet-harness': 'concurrency-test'},
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  })
  const parsed = await response.json().catch(() => undefined)
  tally.latencies.push(performance.now() - started)
  if (response.status === 503) tally.busy++
  return {status: response.status, body: parsed}
}

/** Every row an agent-scoped key sees must be that agent's, with that agent's marker. */
function checkOwn(connector: Connector, tally: Tally, rows: Array<{agentId: string; content: string; id: string}>, where: string) {
  for (const row of rows) {
    if (row.agentId !== connector.agentId || !row.content.includes(connector.marker)) {
      tally.leaks.push(`${where}: ${connector.agentId} saw ${row.agentId} row ${row.id}`)
    }
  }
}

async function runConnector(connector: Connector, all: Connector[], tally: Tally): Promise<void> {
  const other = all[(connector.index + 1) % all.length]
  for (let op = 0; op < OPS; op++) {
    const roll = (op * 7 + connector.index * 13) % 10
    if (roll < 2) {
      // 20 % remember. Every agent writes the same words, so any scoping slip would show up in recall.
      const content = `shared deployment note ${op} about the release pipeline ${connector.marker}`
      const saved = await call(connector, tally, 'POST', '/api/memory/remember', {content})
      if (saved.status !== 201) tally.errors.push(`remember ${saved.status} ${saved.body?.code}`)
      else if (saved.body.memory.agentId !== connector.agentId) tally.leaks.push(`remember stored under ${saved.body.memory.agentId}`)
      else connector.written.add(saved.body.id)
    } else {
      // 80 % recall, with the words every agent shares.
      const recall = await call(connector, tally, 'POST', '/api/memory/recall', {query: 'shared deployment note release pipeline', limit: 20})
      if (recall.status !== 200) tally.errors.push(`recall ${recall.status} ${recall.body?.code}`)
      else checkOwn(connector, tally, recall.body.results, 'recall')
    }
    if (op % 15 === 14) {
      const list = await call(connector, tally, 'GET', '/api/memories?limit=500')
      if (list.status !== 200) tally.errors.push(`list ${list.status} ${list.body?.code}`)
      else checkOwn(connector, tally, list.body.memories, 'list')
      // Deliberate probes across the line: asking for another agent is refused, its ids look missing.
      const probe = await call(connector, tally, 'POST', '/api/memory/recall', {query: 'shared deployment', agentId: other.agentId})
      if (probe.status === 403 && probe.body.code === 'scope_violation') tally.probesRefused++
      else tally.leaks.push(`recall as ${other.agentId} → ${probe.status}`)
      const foreignId = [...other.written][0]
      if (foreignId) {
        const peek = await call(connector, tally, 'GET', `/api/memory/${foreignId}`)
        if (peek.status === 404) tally.probesRefused++
        else tally.leaks.push(`GET another agent's memory → ${peek.status}`)
      }
    }
  }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

describe('32 connectors with agent-scoped keys at once', () => {
  it(
    'zero errors, zero cross-agent leaks, no SQLITE_BUSY, every write kept',
    async () => {
      const connectors: Connector[] = []
      for (let index = 0; index < CONNECTORS; index++) {
        const agentId = `agent-${index}`
        const created = await fetch(`${daemon.url}/api/auth/api-keys`, {
          method: 'POST',
          headers: {'content-type': 'application/json', authorization: `Bearer ${daemon.adminToken}`},
          body: JSON.stringify({name: `connector ${index}`, role: 'agent', agentId, connector: 'pi'}),
        })
        expect(created.status).toBe(201)
        const {apiKey} = (await created.json()) as {apiKey: {key: string; scope: {agent?: string}}}
        expect(apiKey.scope.agent).toBe(agentId)
        connectors.push({index, agentId, key: apiKey.key, marker: `marker-${index}-x`, written: new Set()})
      }

      const tally: Tally = {requests: 0, errors: [], leaks: [], busy: 0, probesRefused: 0, latencies: []}
      const started = performance.now()
      await Promise.all(connectors.map((connector) => runConnector(connector, connectors, tally)))
      const seconds = (performance.now() - started) / 1000

      expect(tally.errors).toEqual([])
      expect(tally.leaks).toEqual([])
      expect(tally.busy).toBe(0)
      expect(tally.probesRefused).toBeGreaterThan(CONNECTORS)

      // Afterwards each key sees exactly what it wrote: nothing lost, nothing foreign.
      const written = connectors.reduce((sum, connector) => sum + connector.written.size, 0)
      for (const connector of connectors) {
        const list = await call(connector, tally, 'GET', '/api/memories?limit=500')
        expect(list.body.memories.map((row: {id: string}) => row.id).sort()).toEqual([...connector.written].sort())
      }
      expect(written).toBeGreaterThan(CONNECTORS * OPS * 0.15)
      console.info(
        `concurrency: ${CONNECTORS} keys, ${tally.requests} requests in ${seconds.toFixed(1)} s, ${written} writes kept, ` +
          `${tally.probesRefused} cross-agent probes refused, 0 errors, 0 leaks, 0 busy; ` +
          `latency p50 ${percentile(tally.latencies, 50).toFixed(1)} ms p95 ${percentile(tally.latencies, 95).toFixed(1)} ms`,
      )
    },
    Math.max(30_000, CONNECTORS * OPS * 15),
  )
})
