import {randomBytes} from 'node:crypto'

import pg from 'pg'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {createTestDatabase, postgresCluster, postgresSkipReason, type TestDatabase} from '../helpers/postgres.js'
import {createKey, startTeam, type TeamDaemon} from './support/daemons.js'
import {closeHttpAgents} from './support/http.js'

/**
 * Load across three real daemons on one PostgreSQL database: scoped clients spread over the three
 * (nothing lost, nothing leaked between agents or projects), then a daemon SIGKILLed in the middle
 * of a write storm (every acknowledged write is there; the other two keep serving).
 */

const STORM_SECONDS = Number(process.env.SIGNET_MULTI_DAEMON_STORM_SECONDS ?? 12)
const TOPICS = ['billing', 'ledger', 'search', 'checkout', 'auth', 'reports', 'mailer', 'uploads']

interface StormClient {
  index: number
  agent: string
  project: string
  key: string
  daemon: TeamDaemon
  acked: Set<string>
  recalls: number
  recallHits: number
  errors: string[]
  /** Recall results naming another agent or project. */
  leaks: string[]
}

function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN
  const sorted = [...samples].sort((x, y) => x - y)
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] * 10) / 10
}

/** Every memory id a key can list (its agent; its project when the key is limited to one), page by page. */
async function listedIds(daemon: TeamDaemon, key: string): Promise<Set<string>> {
  const ids = new Set<string>()
  for (let offset = 0; ; offset += 500) {
    const page = await daemon.withKey(key, 'GET', `/api/memories?limit=500&offset=${offset}`)
    if (page.status !== 200) throw new Error(`listing through ${daemon.name} answered ${page.status}: ${JSON.stringify(page.body)}`)
    for (const memory of page.body.memories) ids.add(memory.id)
    if (page.body.memories.length < 500) return ids
  }
}

async function rowCounts(url: string, agentPrefix: string): Promise<Map<string, number>> {
  const client = new pg.Client({connectionString: url})
  await client.connect()
  try {
    const {rows} = await client.query<{agent_id: string; project: string | null; n: string}>(
      'SELECT agent_id, project, count(*) AS n FROM memories WHERE agent_id LIKE $1 AND deleted_at IS NULL GROUP BY agent_id, project',
      [`${agentPrefix}%`],
    )
    return new Map(rows.map((row) => [`${row.agent_id}/${row.project ?? ''}`, Number(row.n)]))
  } finally {
    await client.end()
  }
}

describe.skipIf(!postgresCluster)(`three daemons under load on one PostgreSQL database ${postgresSkipReason}`, () => {
  let database: TestDatabase
  let daemons: TeamDaemon[]

  beforeAll(async () => {
    database = await createTestDatabase('signet_load')
    daemons = await startTeam({databaseUrl: database.url})
  })

  afterAll(async () => {
    closeHttpAgents()
    await Promise.all((daemons ?? []).map((daemon) => daemon.stop()))
    await database?.drop()
  })

  it(`serve 32 scoped clients spread over the three for ${STORM_SECONDS} s: no error, no lost write, no leak`, async () => {
    // 16 agents × 2 projects, one key each, created through one daemon and used through the next.
    const clients: StormClient[] = []
    for (let index = 0; index < 32; index++) {
      const agent = `storm-${Math.floor(index / 2)}`
      const project = `project-${index % 2}`
      const {key} = await createKey(daemons[index % 3], {name: `storm-${index}`, role: 'agent', scope: {agent, project}})
      clients.push({index, agent, project, key, daemon: daemons[(index + 1) % 3], acked: new Set(), recalls: 0, recallHits: 0, errors: [], leaks: []})
    }
    const latencies = {recall: [] as number[], remember: [] as number[]}
    const perDaemon = new Map(daemons.map((daemon) => [daemon.name, 0]))
    const run = randomBytes(3).toString('hex')
    const deadline = performance.now() + STORM_SECONDS * 1000
    const drive = async (client: StormClient) => {
      // The same words for everyone: an unscoped search would find other agents' and projects' memories.
      for (let n = 0; performance.now() < deadline; n++) {
        const topic = TOPICS[(client.index + n) % TOPICS.length]
        const write = Math.random() < 0.2
        const started = performance.now()
        try {
          if (write) {
            const content = `storm ${run} ${client.agent} ${client.project} write ${n}: the ${topic} deploy pipeline checks the staging database first (${randomBytes(4).toString('hex')})`
            const answer = await client.daemon.withKey(client.key, 'POST', '/api/memory/remember', {body: {content, tags: [topic]}})
            latencies.remember.push(performance.now() - started)
            if (answer.status !== 201) client.errors.push(`remember ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`)
            else client.acked.add(answer.body.id)
          } else {
            const answer = await client.daemon.withKey(client.key, 'POST', '/api/memory/recall', {
              body: {query: `${topic} deploy pipeline staging database`, limit: 10},
            })
            latencies.recall.push(performance.now() - started)
            client.recalls++
            if (answer.status !== 200) {
              client.errors.push(`recall ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`)
            } else {
              client.recallHits += answer.body.results.length
              for (const hit of answer.body.results) {
                if (hit.agentId !== client.agent || hit.project !== client.project)
                  client.leaks.push(`${client.agent}/${client.project} got ${hit.id} of ${hit.agentId}/${hit.project}`)
              }
            }
          }
          perDaemon.set(client.daemon.name, perDaemon.get(client.daemon.name)! + 1)
        } catch (error) {
          client.errors.push(`${write ? 'remember' : 'recall'} unanswered: ${(error as Error).message}`)
        }
      }
    }
    const started = performance.now()
    await Promise.all(clients.map(drive))
    const seconds = (performance.now() - started) / 1000

    const requests = latencies.recall.length + latencies.remember.length
    const acked = clients.reduce((sum, client) => sum + client.acked.size, 0)
    const errors = clients.flatMap((client) => client.errors)
    const leaks = clients.flatMap((client) => client.leaks)
    console.log(
      `storm: 32 clients, ${seconds.toFixed(1)} s, ${requests} requests (${Math.round(requests / seconds)}/s; by daemon ${[...perDaemon].map(([name, count]) => `${name} ${count}`).join(', ')}), ` +
        `${latencies.recall.length} recalls p50/p95 ${percentile(latencies.recall, 50)}/${percentile(latencies.recall, 95)} ms returning ${clients.reduce((sum, client) => sum + client.recallHits, 0)} hits, ` +
        `${latencies.remember.length} remembers p50/p95 ${percentile(latencies.remember, 50)}/${percentile(latencies.remember, 95)} ms, ${acked} acknowledged, ${errors.length} errors, ${leaks.length} leaks`,
    )
    expect(errors.slice(0, 5)).toEqual([])
    expect(leaks.slice(0, 5)).toEqual([])
    // The leak check saw real answers, on every client, and every client wrote.
    for (const client of clients) {
      expect(client.recallHits, `${client.agent}/${client.project} recall hits`).toBeGreaterThan(0)
      expect(client.acked.size, `${client.agent}/${client.project} writes`).toBeGreaterThan(0)
    }

    // Every acknowledged write is there, and nothing else: listed through a third daemon, and counted in the database.
    for (const client of clients) {
      const listed = await listedIds(daemons[(client.index + 2) % 3], client.key)
      expect([...listed].sort(), `${client.agent}/${client.project}`).toEqual([...client.acked].sort())
    }
    const counts = await rowCounts(database.url, 'storm-')
    for (const client of clients) expect(counts.get(`${client.agent}/${client.project}`), `${client.agent}/${client.project}`).toBe(client.acked.size)
    expect([...counts.values()].reduce((sum, n) => sum + n, 0)).toBe(acked)

    // What the scopes kept apart was there to leak: a key of storm-0 limited to no project reads both of its projects.
    const wide = await createKey(daemons[0], {name: 'storm-0-all-projects', role: 'agent', scope: {agent: 'storm-0'}})
    const all = await daemons[1].withKey(wide.key, 'POST', '/api/memory/recall', {body: {query: 'deploy pipeline staging database', limit: 50}})
    expect(new Set(all.body.results.map((hit: {project: string}) => hit.project))).toEqual(new Set(['project-0', 'project-1']))
  })

  it('keep every acknowledged write when one daemon is SIGKILLed in a write storm, and keep serving on the other two', async () => {
    const [a, b, c] = daemons
    const run = randomBytes(3).toString('hex')
    interface Writer {
      index: number
      agent: string
      key: string
      /** Daemons in the order this writer tries them (its own first, then fail-over). */
      route: TeamDaemon[]
      acked: Map<string, string>
      ackedBy: Map<string, number>
      unanswered: number
      refusals: string[]
      /** Fail-over retries of a write the killed daemon had already committed (same idempotency key, same row). */
      recoveredAfterKill: number
    }
    const writers: Writer[] = []
    for (let index = 0; index < 12; index++) {
      const agent = `kill-${index}`
      const {key} = await createKey(daemons[index % 3], {name: agent, role: 'agent', scope: {agent}})
      const route = [daemons[index % 3], daemons[(index + 1) % 3], daemons[(index + 2) % 3]]
      writers.push({index, agent, key, route, acked: new Map(), ackedBy: new Map(), unanswered: 0, refusals: [], recoveredAfterKill: 0})
    }
    let stopped = false
    let killedAt = 0
    const dead = new Set<TeamDaemon>()
    const drive = async (writer: Writer) => {
      for (let n = 0; !stopped; n++) {
        const content = `kill run ${run} ${writer.agent} write ${n} ${randomBytes(4).toString('hex')}`
        const idempotencyKey = `${run}-${writer.index}-${n}`
        // A write is retried, with its idempotency key, on the next daemon until one acknowledges it.
        for (let attempt = 0; ; attempt++) {
          const daemon = writer.route.find((candidate) => !dead.has(candidate))!
          try {
            const answer = await daemon.withKey(writer.key, 'POST', '/api/memory/remember', {body: {content, idempotencyKey}, timeoutMs: 15_000})
            if (answer.status === 200 || answer.status === 201) {
              writer.acked.set(answer.body.id, content)
              const at = killedAt && Date.now() > killedAt ? 'after' : 'before'
              writer.ackedBy.set(`${daemon.name} ${at}`, (writer.ackedBy.get(`${daemon.name} ${at}`) ?? 0) + 1)
              if (attempt > 0 && answer.body.deduped) writer.recoveredAfterKill++
            } else {
              writer.refusals.push(`${daemon.name} ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`)
            }
            break
          } catch {
            // No answer: the daemon is gone (a load balancer would take it out of rotation the same way).
            writer.unanswered++
            dead.add(daemon)
            if (attempt > 3) throw new Error(`${writer.agent}: no daemon answers`)
          }
        }
      }
    }
    const storm = Promise.all(writers.map(drive))
    await new Promise((resolve) => setTimeout(resolve, 2500))
    killedAt = Date.now()
    const exit = await b.kill('SIGKILL')
    const killMs = Date.now() - killedAt
    await new Promise((resolve) => setTimeout(resolve, 3000))
    stopped = true
    await storm

    const total = (where: string) =>
      writers.reduce((sum, writer) => sum + [...writer.ackedBy].filter(([label]) => label === where).reduce((s, [, n]) => s + n, 0), 0)
    const acked = writers.reduce((sum, writer) => sum + writer.acked.size, 0)
    console.log(
      `SIGKILL: B (pid ${b.pid}) killed after 2.5 s (${killMs} ms to exit, ${JSON.stringify(exit)}); acknowledged ${acked} writes: ` +
        `before the kill A ${total('A before')}, B ${total('B before')}, C ${total('C before')}; after it A ${total('A after')}, B ${total('B after')}, C ${total('C after')}; ` +
        `${writers.reduce((sum, writer) => sum + writer.unanswered, 0)} requests unanswered (all on B), ` +
        `${writers.reduce((sum, writer) => sum + writer.recoveredAfterKill, 0)} in-flight writes B had committed found again by their idempotency key, ` +
        `${writers.reduce((sum, writer) => sum + writer.refusals.length, 0)} refusals`,
    )
    expect(exit.signal).toBe('SIGKILL')
    expect(writers.flatMap((writer) => writer.refusals)).toEqual([])
    expect(total('B before')).toBeGreaterThan(0)
    // Only B's writers lost a connection; A and C never missed an answer and kept acknowledging after the kill.
    const unanswered = (onB: boolean) => writers.filter((writer) => (writer.route[0] === b) === onB).reduce((sum, writer) => sum + writer.unanswered, 0)
    expect(unanswered(true)).toBeGreaterThan(0)
    expect(unanswered(false)).toBe(0)
    expect(total('A after')).toBeGreaterThan(0)
    expect(total('C after')).toBeGreaterThan(0)

    // Every acknowledged write is there — B's included — exactly once each.
    for (const writer of writers) {
      const listed = await listedIds(writer.index % 2 === 0 ? a : c, writer.key)
      expect([...listed].sort(), writer.agent).toEqual([...writer.acked.keys()].sort())
    }
    const counts = await rowCounts(database.url, 'kill-')
    for (const writer of writers) expect(counts.get(`${writer.agent}/`), writer.agent).toBe(writer.acked.size)
    // The survivors still answer reads of what B acknowledged.
    const fromB = writers.find((writer) => writer.route[0] === b)!
    const [someId, someContent] = [...fromB.acked][0]
    for (const survivor of [a, c]) {
      const fetched = await survivor.withKey(fromB.key, 'GET', `/api/memory/${someId}`)
      expect(fetched.status).toBe(200)
      expect(fetched.body.memory.content).toBe(someContent)
    }

    // B starts again in its workspace (its stale pid, lock and socket left by the kill) and sees everything.
    const killedPid = b.pid
    const restarted = await b.restart()
    expect(restarted.pid).not.toBe(killedPid)
    const listed = await listedIds(restarted, fromB.key)
    expect([...listed].sort()).toEqual([...fromB.acked.keys()].sort())
    console.log(`B restarted as pid ${restarted.pid} and lists all ${listed.size} writes of ${fromB.agent}`)
  })
})
