import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {workspacePaths} from '../../src/config/paths.js'
import {initWorkspace} from '../../src/config/workspace.js'
import {ApiKeyStore} from '../../src/store/api-keys.js'
import {openDatabase} from '../../src/store/db.js'
import {makeTempHome, type TempHome} from '../helpers/temp-home.js'
import {spawnDaemon, type SpawnedDaemon} from '../reliability/support/spawned-daemon.js'
import {loadFactor, repeatTo} from './support/linear-time.js'

/**
 * One request with a text built to make redaction backtrack used to hold the daemon's only thread for
 * seconds to minutes (a 96 KB memory: 12 s; a 200 KB session-end: 35 s), with /health unanswered.
 * The daemon runs as its own process here, so a blocked daemon cannot also freeze the test's clock.
 */

/** Work the daemon does per hostile request now takes tens of ms; the old code took 10 s (memory) and minutes (transcript). */
const HOSTILE_BOUND_MS = 1500
/** /health on an idle daemon answers in about a millisecond. */
const HEALTH_BOUND_MS = 50

let temp: TempHome
let daemon: SpawnedDaemon
let key: string

beforeAll(async () => {
  temp = makeTempHome('signet-hostile-')
  initWorkspace(temp.workspace)
  // A key minted straight in the store: the test does not depend on how local callers are trusted.
  const db = openDatabase(workspacePaths(temp.workspace).dbPath)
  key = new ApiKeyStore(db).create({name: 'hostile agent', role: 'agent', agentId: 'mallory'}).key
  db.close()
  daemon = await spawnDaemon({workspace: temp.workspace, env: temp.env})
}, 60_000)

afterAll(async () => {
  // SIGKILL: a daemon still busy with a hostile body would not answer a polite stop in time.
  await daemon?.kill('SIGKILL')
  temp?.cleanup()
})

/** Sends the hostile request and polls /health until it is answered; returns both timings. */
async function whileInFlight(path: string, body: unknown): Promise<{status: number; hostileMs: number; healthMs: number[]}> {
  const bound = Math.round(HOSTILE_BOUND_MS * loadFactor())
  const started = performance.now()
  let done = false
  const hostile = fetch(`${daemon.url}${path}`, {
    method: 'POST',
    headers: {'content-type': 'application/json', authorization: `Bearer ${key}`},
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(bound),
  }).then(
    async (response) => {
      await response.arrayBuffer()
      return response.status
    },
    (error: Error) => {
      throw new Error(`${path} did not answer within ${bound.toFixed(0)} ms: ${error.message}`)
    },
  )
  const finished = hostile.finally(() => (done = true))
  const healthMs: number[] = []
  while (!done) {
    const asked = performance.now()
    const response = await fetch(`${daemon.url}/health`, {signal: AbortSignal.timeout(bound)}).catch(() => undefined)
    if (response) await response.arrayBuffer()
    healthMs.push(response?.ok ? performance.now() - asked : Number.POSITIVE_INFINITY)
  }
  const status = await finished
  const hostileMs = performance.now() - started
  console.log(
    `${path}: answered ${status} in ${hostileMs.toFixed(0)} ms; /health asked ${healthMs.length} times meanwhile, slowest ${Math.max(...healthMs).toFixed(1)} ms (load factor ${loadFactor().toFixed(1)})`,
  )
  return {status, hostileMs, healthMs}
}

describe('a hostile body does not freeze the daemon', () => {
  it('remember with 100,000 characters of eyJ-eyJ-… (the content limit) leaves /health answering', async () => {
    const {status, hostileMs, healthMs} = await whileInFlight('/api/memory/remember', {content: repeatTo('eyJ-', 100_000)})
    expect(status).toBe(201)
    expect(hostileMs).toBeLessThanOrEqual(HOSTILE_BOUND_MS * loadFactor())
    expect(Math.max(...healthMs)).toBeLessThanOrEqual(HEALTH_BOUND_MS * loadFactor())
  })

  it('session-end with a 1,000,000-character adversarial transcript (just under the body limit) leaves /health answering', async () => {
    const transcript = `User: ${repeatTo('eyJ-a.a.', 500_000)}${repeatTo('://a:b@ password= aB3/', 499_000)}`
    expect(JSON.stringify({harness: 'claude-code', transcript}).length).toBeLessThan(1024 * 1024)
    const {status, hostileMs, healthMs} = await whileInFlight('/api/hooks/session-end', {harness: 'claude-code', sessionKey: 'hostile-session', transcript})
    expect(status).toBe(200)
    expect(hostileMs).toBeLessThanOrEqual(HOSTILE_BOUND_MS * loadFactor())
    expect(Math.max(...healthMs)).toBeLessThanOrEqual(HEALTH_BOUND_MS * loadFactor())
  })
})
