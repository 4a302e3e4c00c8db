import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {AgentEvent} from '../../../src/store/agent-messages.js'
import {openPostgresStorage, type PostgresStorage} from '../../../src/store/postgres/storage.js'
import {createTestDatabase, postgresCluster, postgresSkipReason, type TestDatabase} from '../../helpers/postgres.js'

/**
 * Two storages on one database, each with its own pool: two daemons. Everything they must agree on
 * lives in the database, so each race below has exactly one winner however the requests interleave.
 */
describe.skipIf(!postgresCluster)(`several daemons on one PostgreSQL database ${postgresSkipReason}`, () => {
  let database: TestDatabase
  let a: PostgresStorage
  let b: PostgresStorage

  beforeAll(async () => {
    database = await createTestDatabase()
    // Both start at once on an empty database: the advisory lock makes one migrate and the other wait.
    ;[a, b] = await Promise.all([openPostgresStorage({url: database.url}), openPostgresStorage({url: database.url})])
  })

  afterAll(async () => {
    await a?.close()
    await b?.close()
    await database?.drop()
  })

  it('migrate the database once when they start together', async () => {
    const {rows} = await a.pool.query<{version: number}>('SELECT version FROM schema_migrations ORDER BY version')
    expect(rows.map((row) => row.version)).toEqual([1])
    expect((await b.health()).schemaVersion).toBe(1)
  })

  it('give one key for one pairing code claimed on both at once', async () => {
    const issued = await a.pairing.issue({connector: 'pi', agentId: 'race', role: 'agent', project: null}, 600_000)
    const mint = () => ({name: 'paired', role: 'agent' as const, agentId: 'race'})
    const claims = await Promise.all(Array.from({length: 10}, (_, index) => (index % 2 === 0 ? a : b).pairing.claim(issued.code, mint)))
    expect(claims.filter((claim) => claim.status === 'ok')).toHaveLength(1)
    expect(claims.filter((claim) => claim.status === 'used')).toHaveLength(9)
    expect((await b.apiKeys.list()).filter((key) => key.agentId === 'race')).toHaveLength(1)
  })

  it('share rate-limit windows: every hit on either counts once', async () => {
    const now = Date.now()
    const hits = await Promise.all(Array.from({length: 30}, (_, index) => (index % 2 === 0 ? a : b).rateLimits.hit('auth:203.0.113.9', 60_000, now + index)))
    expect(hits.map((hit) => hit.count).sort((x, y) => x - y)).toEqual(Array.from({length: 30}, (_, index) => index + 1))
    expect(new Set(hits.map((hit) => hit.resetAt)).size).toBe(1)
    expect((await a.rateLimits.peek('auth:203.0.113.9', 60_000, now + 100)).count).toBe(30)
  })

  it('refuse a key on one daemon as soon as the other revoked it', async () => {
    const created = await a.apiKeys.create({name: 'ci', role: 'agent', agentId: 'rev'})
    expect((await b.apiKeys.verify(created.key)).ok).toBe(true)
    await a.apiKeys.revoke(created.id)
    expect(await b.apiKeys.verify(created.key)).toEqual({ok: false, reason: 'revoked', keyId: created.id})

    const link = await a.devices.issueLink({name: 'phone', agentId: null, project: null})
    const login = await b.devices.login(link.token, null)
    if (login.status !== 'ok') throw new Error('login failed')
    expect((await a.devices.verify(login.token)).ok).toBe(true)
    await b.devices.revoke(login.device.id)
    expect(await a.devices.verify(login.token)).toMatchObject({ok: false, reason: 'revoked'})
    expect(await a.devices.login(link.token, null)).toEqual({status: 'used'})
  })

  it('deliver each unread message once when both claim for the same session at once', async () => {
    const sent: string[] = []
    for (let index = 0; index < 20; index++)
      sent.push((await a.messages.send({from: {agent: 'sender'}, to: {address: 'inbox', agent: 'inbox'}, kind: 'note', body: `m${index}`})).message.id)
    // Each claim takes at most three, as a prompt hook's budget would.
    const claims = await Promise.all(
      Array.from({length: 16}, (_, index) => (index % 2 === 0 ? a : b).messages.claimUnread('inbox', {session: 'one'}, (unread) => unread.slice(0, 3))),
    )
    const shown = claims.flatMap((claim) => claim.shown.map((message) => message.id))
    expect(shown.sort()).toEqual([...sent].sort())
    expect(claims.flatMap((claim) => claim.events).filter((event) => event.type === 'delivered')).toHaveLength(20)
    expect(await b.messages.unreadFor('inbox', {session: 'one'})).toEqual([])
  })

  it('store one memory, one session and one transcript row for the same writes racing on both', async () => {
    const remembered = await Promise.all(
      Array.from({length: 12}, (_, index) => (index % 2 === 0 ? a : b).memories.remember({agentId: 'dup', content: 'The same fact, told twice.'})),
    )
    expect(new Set(remembered.map((result) => result.memory.id)).size).toBe(1)
    expect(remembered.filter((result) => !result.deduped)).toHaveLength(1)
    expect(await a.memories.count({agentId: 'dup'})).toBe(1)

    const keyed = await Promise.all(
      Array.from({length: 6}, (_, index) => (index % 2 === 0 ? a : b).memories.remember({agentId: 'dup', content: `variant ${index}`, idempotencyKey: 'once'})),
    )
    expect(new Set(keyed.map((result) => result.memory.id)).size).toBe(1)

    const touches = await Promise.all(
      Array.from({length: 8}, (_, index) => (index % 2 === 0 ? a : b).sessions.touch({agentId: 'dup', sessionKey: 'shared', project: `p${index}`})),
    )
    expect(touches.filter((touch) => !touch.known)).toHaveLength(1)
    expect(new Set(touches.map((touch) => touch.session.project)).size).toBe(1)

    const transcript = 'user: hello\nassistant: hi\n'
    await Promise.all(
      Array.from({length: 8}, (_, index) =>
        (index % 2 === 0 ? a : b).transcripts.save({agentId: 'dup', sessionKey: 'shared', kind: 'transcript', content: transcript.repeat(index + 1)}),
      ),
    )
    const records = await b.transcripts.forSession('dup', 'shared')
    expect(records).toHaveLength(1)
    expect(records[0].content).toBe(transcript.repeat(8))

    const injected = await Promise.all(Array.from({length: 10}, (_, index) => (index % 2 === 0 ? a : b).sessions.addInjected('dup', 'shared', [`m${index}`])))
    expect(injected).toHaveLength(10)
    expect((await a.sessions.get('dup', 'shared'))?.injectedIds.sort()).toEqual(Array.from({length: 10}, (_, index) => `m${index}`).sort())
  })

  it('let a stream on one daemon see every event written through the other, in order, while they are being written', async () => {
    let cursor = await b.messages.lastEventSeq()
    const seen: AgentEvent[] = []
    let writing = true
    const poller = (async () => {
      for (;;) {
        // Only a read that began after the last write was acknowledged may end the stream: one that
        // began earlier can come back empty while the last commits land.
        const lastRead = !writing
        const events = await b.messages.eventsFor('stream-to', cursor)
        for (const event of events) {
          seen.push(event)
          cursor = event.seq
        }
        if (lastRead && events.length === 0) break
      }
    })()
    await Promise.all(
      Array.from({length: 40}, (_, index) =>
        (index % 2 === 0 ? a : b).messages.send({
          from: {agent: 'stream-from'},
          to: {address: 'stream-to', agent: 'stream-to'},
          kind: 'note',
          body: `e${index}`,
        }),
      ),
    )
    writing = false
    await poller
    expect(seen).toHaveLength(40)
    expect(seen.every((event, index) => index === 0 || event.seq > seen[index - 1].seq)).toBe(true)
  })

  it('see each other’s writes through the shared change counter and presence', async () => {
    const before = await b.changeCounter()
    await a.presence.see({agentId: 'peer', harness: 'codex', sessionKey: 'p', event: 'prompt'})
    expect(await b.changeCounter()).toBeGreaterThan(before)
    expect((await b.presence.list({agentId: 'peer'}))[0]).toMatchObject({agent: 'peer', status: 'online'})
  })
})
