import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import pg from 'pg'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {harnessInstructionFile, SIGNET_GENERATED_MARKER} from '../../src/daemon/sync.js'
import {createTestDatabase, postgresCluster, postgresSkipReason, type TestDatabase} from '../helpers/postgres.js'
import {createKey, startTeam, type TeamDaemon} from './support/daemons.js'
import {closeHttpAgents, openEventStream} from './support/http.js'

/**
 * Three real daemons (`signet daemon run`, each with its own workspace, HOME and port, `team` auth)
 * on one PostgreSQL database: what one daemon is told, every other one honours on its next request.
 * docs/postgres.md ("What several daemons share") lists where each piece of shared state lives.
 */

/** Auth failures one address may make in a window, across all daemons (small, so the test trips it). */
const AUTH_FAILURE_MAX = 6
/** Messages one agent may send in a window, across all daemons. */
const MESSAGE_MAX = 4

async function until<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

function readOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}

describe.skipIf(!postgresCluster)(`three daemons on one PostgreSQL database ${postgresSkipReason}`, () => {
  let database: TestDatabase
  let daemons: TeamDaemon[]
  let a: TeamDaemon
  let b: TeamDaemon
  let c: TeamDaemon

  beforeAll(async () => {
    database = await createTestDatabase('signet_team')
    // All three at once on the empty database: one migrates it, the others wait for it (an advisory lock).
    daemons = await startTeam({
      databaseUrl: database.url,
      together: true,
      agentYaml: {
        auth: {mode: 'team', rateLimits: {authFailures: {windowMs: 60_000, max: AUTH_FAILURE_MAX}}},
        agents: {rateLimit: {windowMs: 60_000, max: MESSAGE_MAX}},
        harnesses: ['claude-code'],
      },
    })
    ;[a, b, c] = daemons
  })

  afterAll(async () => {
    closeHttpAgents()
    await Promise.all((daemons ?? []).map((daemon) => daemon.stop()))
    await database?.drop()
  })

  it('run as three processes, each with its own port and workspace, all on PostgreSQL', async () => {
    const statuses = await Promise.all(daemons.map((daemon) => daemon.owner('GET', '/api/status')))
    for (const status of statuses) expect(status.body).toMatchObject({status: 'running', authMode: 'team', storage: {backend: 'postgres'}})
    expect(new Set(statuses.map((status) => status.body.pid)).size).toBe(3)
    expect(new Set(statuses.map((status) => status.body.port)).size).toBe(3)
    expect(new Set(statuses.map((status) => status.body.workspace)).size).toBe(3)
  })

  it('recall through B and C a memory written through A', async () => {
    const {key} = await createKey(a, {name: 'writer', role: 'agent', scope: {agent: 'writer'}})
    const written = await a.withKey(key, 'POST', '/api/memory/remember', {
      body: {content: 'The staging database for the billing service listens on port 5433', tags: ['infra']},
    })
    expect(written.status).toBe(201)
    for (const reader of [b, c]) {
      const recalled = await reader.withKey(key, 'POST', '/api/memory/recall', {body: {query: 'which port does the billing staging database use', limit: 5}})
      expect(recalled.status, reader.name).toBe(200)
      expect(recalled.body.results[0]).toMatchObject({id: written.body.id, agentId: 'writer', content: written.body.memory.content})
      const fetched = await reader.withKey(key, 'GET', `/api/memory/${written.body.id}`)
      expect(fetched.body.memory).toMatchObject({id: written.body.id, tags: ['infra']})
    }
  })

  it('accept on B and C a key created on A', async () => {
    const created = await createKey(a, {name: 'roaming', role: 'agent', scope: {agent: 'roamer', project: 'shop'}})
    for (const daemon of [b, c]) {
      const whoami = await daemon.withKey(created.key, 'GET', '/api/auth/whoami')
      expect(whoami.status, daemon.name).toBe(200)
      expect(whoami.body).toMatchObject({kind: 'api-key', keyId: created.id, scope: {agent: 'roamer', project: 'shop'}})
    }
    // …and lists it: the key table is the database's, not A's.
    const listed = await c.owner('GET', '/api/auth/api-keys')
    expect(listed.body.apiKeys.map((apiKey: {id: string}) => apiKey.id)).toContain(created.id)
  })

  it('refuse on A and C, on their next request, a key revoked through B', async () => {
    const from = '127.0.0.11'
    const created = await createKey(a, {name: 'soon-revoked', role: 'agent', scope: {agent: 'revoked'}})
    // In use on all three (a daemon that cached the verdict would keep accepting it below).
    for (const daemon of daemons) expect((await daemon.withKey(created.key, 'GET', '/api/auth/whoami', {from})).status).toBe(200)
    const revoked = await b.owner('DELETE', `/api/auth/api-keys/${created.prefix}`)
    expect(revoked.status).toBe(200)
    expect(revoked.body.apiKey.status).toBe('revoked')
    for (const daemon of [a, c, b]) {
      const refused = await daemon.withKey(created.key, 'POST', '/api/memory/recall', {body: {query: 'anything'}, from})
      expect(refused.status, daemon.name).toBe(401)
      expect(refused.body.code).toBe('api_key_revoked')
    }
  })

  it('refuse a key on every daemon once it has expired', async () => {
    const from = '127.0.0.12'
    const expiresAt = new Date(Date.now() + 3000)
    const created = await createKey(a, {name: 'short-lived', role: 'agent', scope: {agent: 'expiring'}, expiresAt: expiresAt.toISOString()})
    for (const daemon of daemons) expect((await daemon.withKey(created.key, 'GET', '/api/auth/whoami', {from})).status, daemon.name).toBe(200)
    await new Promise((resolve) => setTimeout(resolve, expiresAt.getTime() - Date.now() + 100))
    for (const daemon of daemons) {
      const refused = await daemon.withKey(created.key, 'GET', '/api/auth/whoami', {from})
      expect(refused.status, daemon.name).toBe(401)
      expect(refused.body.code).toBe('api_key_expired')
    }
    // Rotating it through C with a new expiry gives a key every daemon accepts.
    const rotated = await c.owner('POST', `/api/auth/api-keys/${created.prefix}/rotate`, {body: {expiresAt: new Date(Date.now() + 3_600_000).toISOString()}})
    expect(rotated.status).toBe(201)
    for (const daemon of daemons) expect((await daemon.withKey(rotated.body.apiKey.key, 'GET', '/api/auth/whoami', {from})).status, daemon.name).toBe(200)
  })

  it('let a pairing code issued on A be claimed once: on B; the second claim, on C, is refused', async () => {
    const from = '127.0.0.13'
    const issued = await a.owner('POST', '/api/auth/pair', {body: {agentId: 'paired-agent', role: 'agent', project: 'app'}})
    expect(issued.status).toBe(201)
    const claimed = await b.request('POST', '/api/auth/pair/claim', {body: {code: issued.body.code, name: 'laptop'}, from})
    expect(claimed.status).toBe(201)
    expect(claimed.body.apiKey).toMatchObject({agentId: 'paired-agent', scope: {agent: 'paired-agent', project: 'app'}})
    const again = await c.request('POST', '/api/auth/pair/claim', {body: {code: issued.body.code, name: 'thief'}, from})
    expect(again.status).toBe(409)
    expect(again.body.code).toBe('pair_code_used')
    // The one key it gave works on the daemon that issued the code.
    const whoami = await a.withKey(claimed.body.apiKey.key, 'GET', '/api/auth/whoami', {from})
    expect(whoami.body).toMatchObject({keyId: claimed.body.apiKey.id, scope: {agent: 'paired-agent'}})
    const keys = (await c.owner('GET', '/api/auth/api-keys')).body.apiKeys.filter((apiKey: {agentId: string | null}) => apiKey.agentId === 'paired-agent')
    expect(keys).toHaveLength(1)
  })

  it('count failed authentications from one address against one limit, whichever daemon saw them', async () => {
    const from = '127.0.0.14'
    const bogus = `sig_live_${'x'.repeat(40)}`
    // AUTH_FAILURE_MAX failures spread over the three: no daemon alone has seen enough to refuse.
    for (let attempt = 0; attempt < AUTH_FAILURE_MAX; attempt++) {
      const daemon = daemons[attempt % 3]
      const failed = await daemon.withKey(bogus, 'GET', '/api/auth/whoami', {from})
      expect(failed.status, `attempt ${attempt + 1} on ${daemon.name}`).toBe(401)
    }
    // The next attempt is refused on every daemon — even with a good key, until the window ends.
    const {key} = await createKey(a, {name: 'innocent', role: 'readonly', scope: {agent: 'limited'}})
    for (const daemon of daemons) {
      const refused = await daemon.withKey(key, 'GET', '/api/auth/whoami', {from})
      expect(refused.status, daemon.name).toBe(429)
      expect(refused.body.code).toBe('rate_limited')
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)
    }
    // Another address is not affected.
    expect((await b.withKey(key, 'GET', '/api/auth/whoami', {from: '127.0.0.15'})).status).toBe(200)
    // The refusal was audited once for all three (the first refusal of the window, counted in the database).
    const audit = await c.owner('GET', '/api/auth/audit?event=auth_rate_limited&limit=100')
    expect(audit.body.events.filter((event: {peer: string}) => event.peer === from)).toHaveLength(1)
    const failures = await b.owner('GET', '/api/auth/audit?event=auth_failed&limit=1000')
    expect(failures.body.events.filter((event: {peer: string}) => event.peer === from)).toHaveLength(AUTH_FAILURE_MAX)
  })

  it('never re-inject, on a prompt through B or C, the memories a session got at its start through A', async () => {
    const {key} = await createKey(a, {name: 'hooks', role: 'agent', scope: {agent: 'hooked'}})
    const facts = [
      'The staging database for the ledger listens on port 6543',
      'Ledger staging database backups run nightly at 02:00 UTC',
      'Ledger deploys to staging go through the blue pipeline',
    ]
    const ids: string[] = []
    for (const content of facts) ids.push((await a.withKey(key, 'POST', '/api/memory/remember', {body: {content}})).body.id)

    const started = await a.withKey(key, 'POST', '/api/hooks/session-start', {body: {harness: 'claude-code', sessionKey: 'ledger-session'}})
    expect(started.status).toBe(200)
    expect(started.body.receipt.ids.sort()).toEqual([...ids].sort())

    const prompt = 'what port does the ledger staging database listen on, and when do its backups run?'
    const onB = await b.withKey(key, 'POST', '/api/hooks/user-prompt-submit', {body: {harness: 'claude-code', sessionKey: 'ledger-session', prompt}})
    expect(onB.status).toBe(200)
    expect(onB.body.receipt.ids.filter((id: string) => ids.includes(id))).toEqual([])

    // The same prompt in a session that has not seen them gets them: the exclusion above is the session's.
    const fresh = await c.withKey(key, 'POST', '/api/hooks/user-prompt-submit', {body: {harness: 'claude-code', sessionKey: 'other-session', prompt}})
    expect(fresh.body.receipt.ids.filter((id: string) => ids.includes(id)).length).toBeGreaterThan(0)

    // A memory written (through B) after the session started is new to it: injected once, through C, then never again.
    const later = await b.withKey(key, 'POST', '/api/memory/remember', {body: {content: 'The ledger staging database moved to port 6544 in March'}})
    const first = await c.withKey(key, 'POST', '/api/hooks/user-prompt-submit', {body: {harness: 'claude-code', sessionKey: 'ledger-session', prompt}})
    expect(first.body.receipt.ids).toEqual([later.body.id])
    const second = await a.withKey(key, 'POST', '/api/hooks/user-prompt-submit', {body: {harness: 'claude-code', sessionKey: 'ledger-session', prompt}})
    expect(second.body.receipt.ids).toEqual([])

    // The session resumed through C: its context already holds the start's inject, so C sends the short stub.
    const resumed = await c.withKey(key, 'POST', '/api/hooks/session-start', {body: {harness: 'claude-code', sessionKey: 'ledger-session', source: 'resume'}})
    expect(resumed.body).toMatchObject({sessionKnown: true, memories: []})
    expect(resumed.body.inject).toContain('Session resumed')
  })

  it('deliver to a stream held open on C a message sent through A', async () => {
    const alice = await createKey(a, {name: 'alice', role: 'agent', scope: {agent: 'alice'}})
    const bob = await createKey(c, {name: 'bob', role: 'agent', scope: {agent: 'bob'}})
    const stream = await openEventStream(c.url, '/api/agents/stream?heartbeatMs=1000', {authorization: `Bearer ${bob.key}`})
    try {
      await stream.next((event) => event.event === 'ready')
      const sentAt = Date.now()
      const sent = await a.withKey(alice.key, 'POST', '/api/agents/messages', {
        body: {to: 'bob', subject: 'hand-over', body: 'The ledger migration is yours from here.'},
      })
      expect(sent.status).toBe(201)
      const arrived = await stream.next((event) => event.event === 'message' && JSON.parse(event.data).messageId === sent.body.message.id, 10_000)
      const data = JSON.parse(arrived.data)
      expect(data.message).toMatchObject({body: 'The ledger migration is yours from here.', from: {agent: 'alice'}, toAgent: 'bob'})
      console.log(`message sent through A reached the stream on C in ${Date.now() - sentAt} ms`)

      // Shown once in bob's next prompt, through B; the stream on C hears that it was delivered.
      const hook = await b.withKey(bob.key, 'POST', '/api/hooks/user-prompt-submit', {body: {harness: 'codex', sessionKey: 'bob-1', prompt: 'anything new?'}})
      expect(hook.body.messageCount).toBe(1)
      await stream.next((event) => event.event === 'delivered' && JSON.parse(event.data).messageId === sent.body.message.id, 10_000)
      const again = await a.withKey(bob.key, 'POST', '/api/hooks/user-prompt-submit', {body: {harness: 'codex', sessionKey: 'bob-1', prompt: 'anything new?'}})
      expect(again.body.messageCount).toBe(0)
      // Bob's session, seen through B and A, is a peer on C too.
      const peers = await c.owner('GET', '/api/agents/peers?agentId=bob')
      expect(peers.body.peers).toEqual([expect.objectContaining({agent: 'bob', harness: 'codex', session: 'bob-1', status: 'online'})])
    } finally {
      stream.close()
    }
  })

  it('resume on B, from its last event id, a stream that was open on C', async () => {
    const dave = await createKey(a, {name: 'dave', role: 'agent', scope: {agent: 'dave'}})
    const erin = await createKey(b, {name: 'erin', role: 'agent', scope: {agent: 'erin'}})
    const first = await openEventStream(c.url, '/api/agents/stream?heartbeatMs=1000', {authorization: `Bearer ${erin.key}`})
    const ready = JSON.parse((await first.next((event) => event.event === 'ready')).data)
    first.close()
    // Sent through A while erin is disconnected.
    const sent: string[] = []
    for (const body of ['first while away', 'second while away'])
      sent.push((await a.withKey(dave.key, 'POST', '/api/agents/messages', {body: {to: 'erin', body}})).body.message.id)
    // Reconnecting to another daemon with the id it saw last replays exactly what it missed, in order.
    const replay = await openEventStream(b.url, '/api/agents/stream?follow=false', {
      authorization: `Bearer ${erin.key}`,
      'last-event-id': String(ready.lastEventId),
    })
    try {
      await replay.next((event) => event.event === 'message' && JSON.parse(event.data).messageId === sent[1])
      const replayed = replay.events.filter((event) => event.event === 'message').map((event) => JSON.parse(event.data).messageId)
      expect(replayed).toEqual(sent)
    } finally {
      replay.close()
    }
  })

  it("count an agent's messages against one limit, whichever daemon sent them", async () => {
    const chatty = await createKey(b, {name: 'chatty', role: 'agent', scope: {agent: 'chatty'}})
    for (let index = 0; index < MESSAGE_MAX; index++) {
      const daemon = daemons[index % 3]
      const sent = await daemon.withKey(chatty.key, 'POST', '/api/agents/messages', {body: {to: 'listener', body: `note ${index}`}})
      expect(sent.status, `message ${index + 1} through ${daemon.name}`).toBe(201)
    }
    for (const daemon of daemons) {
      const refused = await daemon.withKey(chatty.key, 'POST', '/api/agents/messages', {body: {to: 'listener', body: 'one too many'}})
      expect(refused.status, daemon.name).toBe(429)
      expect(refused.body.code).toBe('rate_limited')
    }
    const inbox = await c.owner('GET', '/api/agents/inbox?agentId=listener')
    expect(inbox.body.messages).toHaveLength(MESSAGE_MAX)
  })

  it("sync each daemon's own AGENTS.md into its own machine's harness files, and nothing through the database", async () => {
    const targets = daemons.map((daemon) => harnessInstructionFile('claude-code', {home: daemon.temp.home, env: daemon.temp.env})!)
    expect(new Set(targets).size).toBe(3)
    // At start each daemon wrote its own workspace's AGENTS.md into its own HOME.
    for (const [index, daemon] of daemons.entries()) {
      const text = await until(() => readOrUndefined(targets[index]), 5000, `${daemon.name}'s CLAUDE.md`)
      expect(text.startsWith(SIGNET_GENERATED_MARKER)).toBe(true)
      expect(text).toContain(`# Daemon ${daemon.name}`)
      for (const other of daemons.filter((candidate) => candidate !== daemon)) expect(text).not.toContain(`# Daemon ${other.name}`)
    }
    const before = targets.map((target) => readFileSync(target, 'utf8'))

    // An edit on A's machine reaches A's harness files only.
    writeFileSync(path.join(a.workspace, 'AGENTS.md'), '# Daemon A\n\nEdited on A: run the linter before committing.\n')
    await until(() => (readOrUndefined(targets[0])?.includes('Edited on A') ? true : undefined), 5000, "A's CLAUDE.md after the edit")
    // B regenerating (the route) rewrites B's own copy from B's workspace.
    const regenerated = await b.owner('POST', '/api/harnesses/regenerate')
    expect(regenerated.status).toBe(200)
    expect(JSON.stringify(regenerated.body)).toContain(path.join(b.workspace, 'AGENTS.md'))
    expect(readFileSync(targets[1], 'utf8')).toBe(before[1])
    expect(readFileSync(targets[2], 'utf8')).toBe(before[2])

    // Nothing of AGENTS.md is in the shared database: no other machine can pick it up from there.
    const client = new pg.Client({connectionString: database.url})
    await client.connect()
    try {
      const {rows} = await client.query<{tables: string[]}>(
        "SELECT array_agg(table_name::text) AS tables FROM information_schema.columns WHERE table_schema = 'public' AND data_type = 'text' GROUP BY table_schema",
      )
      for (const table of rows[0].tables) {
        const found = await client.query(`SELECT 1 FROM ${pg.escapeIdentifier(table)} t WHERE t::text LIKE '%Edited on A%' LIMIT 1`)
        expect(found.rowCount, table).toBe(0)
      }
    } finally {
      await client.end()
    }
  })
})
