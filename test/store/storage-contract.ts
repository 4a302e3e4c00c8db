import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {API_KEY_PATTERN} from '../../src/store/api-keys.js'
import type {Storage} from '../../src/store/storage.js'

/**
 * The behaviour every Storage backend must show, written against the interface only, so the same
 * tests run on SQLite and on PostgreSQL: redaction before storage, dedup and idempotency per agent
 * and project, scope filters, id formats, ISO timestamps and error outcomes. A backend's test file
 * calls describeStorageContract with a way to open a fresh, empty storage (and to close it).
 */
export interface OpenedStorage {
  storage: Storage
  /** Close the storage and remove what it created. */
  cleanup(): Promise<void>
}

const GITHUB_TOKEN = 'ghp_R8kY2vQx9LmN4pT7wZ1aB3cD5eF6gH8jK0lM'
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

export function describeStorageContract(name: string, open: () => Promise<OpenedStorage>, options: {skip?: boolean} = {}): void {
  describe.skipIf(options.skip === true)(`Storage contract: ${name}`, () => {
    let opened: OpenedStorage
    let storage: Storage

    beforeAll(async () => {
      opened = await open()
      storage = opened.storage
    })
    afterAll(async () => {
      await opened?.cleanup()
    })

    describe('memories', () => {
      it('redacts every stored text field, hashes for dedup per agent and project, and replays idempotency keys', async () => {
        const first = await storage.memories.remember({
          agentId: 'mem-a',
          content: `Deploy token is ${GITHUB_TOKEN} for staging.`,
          tags: [` Deploy `, `key ${GITHUB_TOKEN}`, 'deploy'],
          project: 'alpha',
          harness: 'claude-code',
          machineId: 'laptop',
          sessionKey: 'sess-1',
        })
        expect(first.deduped).toBe(false)
        expect(first.memory.id).toMatch(UUID)
        expect(first.memory.createdAt).toMatch(ISO)
        expect(first.memory.content).not.toContain(GITHUB_TOKEN)
        expect(first.memory.content).toContain('[REDACTED:github-token]')
        expect(first.memory.tags).toEqual(['deploy', 'key [redacted:github-token]'])
        expect(first.memory).toMatchObject({
          type: 'fact',
          importance: 0.5,
          pinned: false,
          agentId: 'mem-a',
          project: 'alpha',
          source: 'manual',
          sessionKey: 'sess-1',
        })

        // Case, whitespace and trailing punctuation make no new memory in the same agent and project.
        const again = await storage.memories.remember({agentId: 'mem-a', project: 'alpha', content: `deploy  token is ${GITHUB_TOKEN} for STAGING`})
        expect(again).toMatchObject({deduped: true, memory: {id: first.memory.id}})
        const otherProject = await storage.memories.remember({agentId: 'mem-a', project: 'beta', content: `Deploy token is ${GITHUB_TOKEN} for staging.`})
        expect(otherProject.deduped).toBe(false)
        const otherAgent = await storage.memories.remember({agentId: 'mem-b', project: 'alpha', content: `Deploy token is ${GITHUB_TOKEN} for staging.`})
        expect(otherAgent.deduped).toBe(false)

        const keyed = await storage.memories.remember({agentId: 'mem-a', content: 'first text', idempotencyKey: 'k-1'})
        const replay = await storage.memories.remember({agentId: 'mem-a', content: 'different text', idempotencyKey: 'k-1'})
        expect(replay).toMatchObject({deduped: true, memory: {id: keyed.memory.id, content: 'first text'}})
        const elsewhere = await storage.memories.remember({agentId: 'mem-a', project: 'beta', content: 'different text', idempotencyKey: 'k-1'})
        expect(elsewhere.deduped).toBe(false)
      })

      it('imports many rows at once with the same dedup, within the batch too, keeping their dates', async () => {
        const result = await storage.memories.importMany([
          {agentId: 'imp', content: 'Imported one', createdAt: '2023-05-08T13:56:00.000Z', sessionKey: 's'},
          {agentId: 'imp', content: 'imported ONE.'},
          {agentId: 'imp', content: 'Imported two'},
          {agentId: 'imp', content: 'Imported two', project: 'p'},
        ])
        expect(result).toEqual({imported: 3, deduped: 1})
        const listed = await storage.memories.list({agentId: 'imp', limit: 10, offset: 0})
        expect(listed.total).toBe(3)
        expect(listed.memories.map((memory) => memory.createdAt)).toContain('2023-05-08T13:56:00.000Z')
        expect(await storage.memories.importMany([])).toEqual({imported: 0, deduped: 0})
      })

      it('reads only the asking agent, filters by project, type and tags, and lists newest first', async () => {
        const agent = 'mem-list'
        await storage.memories.remember({agentId: agent, content: 'global note', createdAt: '2024-01-01T00:00:00.000Z'})
        await storage.memories.remember({
          agentId: agent,
          content: 'alpha decision',
          project: 'alpha',
          type: 'decision',
          tags: ['infra'],
          createdAt: '2024-01-02T00:00:00.000Z',
        })
        await storage.memories.remember({agentId: agent, content: 'beta fact', project: 'beta', tags: ['infra', 'db'], createdAt: '2024-01-03T00:00:00.000Z'})
        const other = await storage.memories.remember({agentId: 'mem-other', content: 'not yours'})
        expect(await storage.memories.get(other.memory.id, agent)).toBeUndefined()
        expect(await storage.memories.get(other.memory.id, 'mem-other')).toMatchObject({content: 'not yours'})

        const all = await storage.memories.list({agentId: agent, limit: 10, offset: 0})
        expect(all.memories.map((memory) => memory.content)).toEqual(['beta fact', 'alpha decision', 'global note'])
        expect(all).toMatchObject({total: 3, byAgent: {[agent]: 3}})
        expect((await storage.memories.list({agentId: agent, project: 'alpha', limit: 10, offset: 0})).memories.map((memory) => memory.content)).toEqual([
          'alpha decision',
        ])
        expect((await storage.memories.list({agentId: agent, project: 'alpha', includeGlobal: true, limit: 10, offset: 0})).total).toBe(2)
        expect((await storage.memories.list({agentId: agent, projects: ['alpha', 'beta'], limit: 10, offset: 0})).total).toBe(2)
        expect((await storage.memories.list({agentId: agent, type: 'decision', limit: 10, offset: 0})).total).toBe(1)
        expect((await storage.memories.list({agentId: agent, tags: ['infra', 'db'], limit: 10, offset: 0})).memories.map((memory) => memory.content)).toEqual([
          'beta fact',
        ])
        const page = await storage.memories.list({agentId: agent, limit: 1, offset: 1})
        expect(page.memories.map((memory) => memory.content)).toEqual(['alpha decision'])
        expect(page.total).toBe(3)
        const everyone = await storage.memories.list({agentId: undefined, limit: 100, offset: 0})
        expect(everyone.byAgent[agent]).toBe(3)
        expect(everyone.byAgent['mem-other']).toBe(1)

        expect(await storage.memories.count({agentId: agent})).toBe(3)
        expect(await storage.memories.count({agentId: agent, project: 'beta', includeGlobal: true})).toBe(2)
        expect(await storage.memories.count()).toBeGreaterThanOrEqual(4)
      })

      it('updates (redacted, re-hashed), refuses a duplicate or another agent, and forgets softly', async () => {
        const agent = 'mem-update'
        const a = await storage.memories.remember({agentId: agent, content: 'original text', project: 'p'})
        const b = await storage.memories.remember({agentId: agent, content: 'other text', project: 'p'})
        expect(await storage.memories.update(a.memory.id, 'someone-else', {pinned: true})).toEqual({status: 'not_found'})
        expect(await storage.memories.update(a.memory.id, agent, {content: 'Other text.'})).toEqual({status: 'duplicate', existingId: b.memory.id})
        const updated = await storage.memories.update(a.memory.id, agent, {
          content: `rotated to ${GITHUB_TOKEN}`,
          tags: ['Ops', 'ops'],
          pinned: true,
          importance: 0.9,
          type: 'decision',
        })
        expect(updated.status).toBe('updated')
        if (updated.status !== 'updated') return
        expect(updated.memory).toMatchObject({content: 'rotated to [REDACTED:github-token]', tags: ['ops'], pinned: true, importance: 0.9, type: 'decision'})
        expect(Date.parse(updated.memory.updatedAt)).toBeGreaterThanOrEqual(Date.parse(a.memory.updatedAt))
        // The old text is free again, the new one deduplicates.
        expect((await storage.memories.remember({agentId: agent, project: 'p', content: 'original text'})).deduped).toBe(false)
        expect((await storage.memories.remember({agentId: agent, project: 'p', content: `Rotated to ${GITHUB_TOKEN}`})).memory.id).toBe(a.memory.id)
        // Moving to another project where the same text lives is a duplicate too.
        const c = await storage.memories.remember({agentId: agent, content: 'movable', project: 'q'})
        await storage.memories.remember({agentId: agent, content: 'movable', project: 'r'})
        expect((await storage.memories.update(c.memory.id, agent, {project: 'r'})).status).toBe('duplicate')

        expect(await storage.memories.forget(b.memory.id, 'someone-else')).toBe(false)
        expect(await storage.memories.forget(b.memory.id, agent)).toBe(true)
        expect(await storage.memories.forget(b.memory.id, agent)).toBe(false)
        expect(await storage.memories.get(b.memory.id, agent)).toBeUndefined()
        expect(await storage.memories.update(b.memory.id, agent, {pinned: true})).toEqual({status: 'not_found'})
        // A forgotten text may be stored again.
        expect((await storage.memories.remember({agentId: agent, project: 'p', content: 'other text'})).deduped).toBe(false)
      })

      it('context memories put pinned first and stay in the project (plus global); working memory renders them', async () => {
        const agent = 'mem-context'
        const pinned = await storage.memories.remember({agentId: agent, content: 'Always run the linter', pinned: true, project: 'alpha'})
        await storage.memories.remember({agentId: agent, content: 'We chose PostgreSQL for teams', type: 'decision', importance: 0.8})
        await storage.memories.remember({agentId: agent, content: 'beta only', project: 'beta', importance: 1})
        const context = await storage.memories.contextMemories({agentId: agent, project: 'alpha', limit: 5})
        expect(context[0].memory.id).toBe(pinned.memory.id)
        expect(context.map((entry) => entry.memory.content)).not.toContain('beta only')
        expect(context).toHaveLength(2)
        const without = await storage.memories.contextMemories({agentId: agent, project: 'alpha', limit: 5, excludeIds: [pinned.memory.id]})
        expect(without.map((entry) => entry.memory.id)).not.toContain(pinned.memory.id)

        await storage.sessions.touch({agentId: agent, sessionKey: 'wm-1', harness: 'codex', project: 'alpha'})
        const markdown = await storage.memories.workingMemory(agent, {now: new Date('2026-01-02T03:04:05Z')})
        expect(markdown).toContain('_Updated 2026-01-02 03:04 UTC for agent `mem-context`._')
        expect(markdown).toContain('### Pinned\n- Always run the linter _(alpha)_')
        expect(markdown).toContain('We chose PostgreSQL for teams')
        expect(markdown).toMatch(/### Recent sessions\n- \d{4}-\d{2}-\d{2} codex in alpha \(open, 0 memories saved\)/)
        const scoped = await storage.memories.workingMemory(agent, {project: 'beta'})
        expect(scoped).not.toContain('Always run the linter')
        expect(scoped).toContain('beta only')
        expect(await storage.memories.workingMemory('nobody-here')).toContain('_Nothing stored yet._')
      })
    })

    describe('recall', () => {
      it('ranks by words (with table equivalents and typo corrections) within the asking agent and its scope', async () => {
        const agent = 'rc-agent'
        const staging = await storage.memories.remember({
          agentId: agent,
          content: 'The staging database listens on port 5433.',
          tags: ['infra'],
          project: 'alpha',
        })
        const migrations = await storage.memories.remember({agentId: agent, content: 'Run the migrations before every deploy.', project: 'alpha'})
        await storage.memories.remember({agentId: agent, content: 'Lunch is at noon on Fridays.'})
        const beta = await storage.memories.remember({agentId: agent, content: 'Beta staging database uses port 6543.', project: 'beta'})
        await storage.memories.remember({agentId: 'rc-other', content: 'The staging database of another agent is on port 1111.'})
        const gone = await storage.memories.remember({agentId: agent, content: 'Old staging database port was 4000.'})
        await storage.memories.forget(gone.memory.id, agent)

        const result = await storage.recall.recall({query: 'what port is the staging db on', agentId: agent, limit: 5})
        expect(result.method).toBe('bm25')
        expect(result.vector.status).toBe('disabled')
        expect(result.queryTerms).toEqual(['port', 'staging', 'db'])
        const ids = result.hits.map((hit) => hit.memory.id)
        expect(ids.slice(0, 2).sort()).toEqual([staging.memory.id, beta.memory.id].sort())
        expect(ids).not.toContain(gone.memory.id)
        expect(result.hits.every((hit) => hit.memory.agentId === agent && hit.score > 0 && hit.score <= 1)).toBe(true)
        expect(result.hits[0].why.matched).toEqual(expect.arrayContaining(['port', 'staging', 'db→database']))
        expect(result.hits[0].why.signals.bm25).toBe(1)

        const scoped = await storage.recall.recall({query: 'staging database port', agentId: agent, project: 'alpha', includeGlobal: true, limit: 5})
        expect(scoped.hits.map((hit) => hit.memory.id)).not.toContain(beta.memory.id)
        expect(scoped.hits[0].memory.id).toBe(staging.memory.id)
        const excluded = await storage.recall.recall({
          query: 'staging database port',
          agentId: agent,
          excludeIds: [staging.memory.id, beta.memory.id],
          limit: 5,
        })
        expect(excluded.hits.map((hit) => hit.memory.id)).not.toContain(staging.memory.id)

        const typo = await storage.recall.recall({query: 'migratoins', agentId: agent, limit: 3})
        expect(typo.hits[0]?.memory.id).toBe(migrations.memory.id)
        expect(typo.hits[0]?.why.matched).toEqual(['migratoins→migrations'])
        expect((await storage.recall.recall({query: 'zebra quokka', agentId: agent, limit: 3})).hits).toEqual([])
        expect((await storage.recall.recall({query: 'staging', agentId: agent, type: 'decision', limit: 3})).hits).toEqual([])
      })

      it('ranks first, in a hedged question about someone, what they said of themselves', async () => {
        // Two of Caroline's turns alike for every other signal (same words but "You"/"I", same
        // length, same date); the one about the other person is stored first, so it wins a tie.
        const agent = 'self-agent'
        const createdAt = '2023-05-08T13:56:00.000Z'
        const say = async (content: string) => (await storage.memories.remember({agentId: agent, content, createdAt})).memory
        const aboutOther = await say('Caroline: You always plan such lovely trips.')
        const aboutSelf = await say('Caroline: I always plan such lovely trips.')
        await say('Melanie: The weather was cold.')
        await say('Melanie: The bus was late.')

        const hedged = await storage.recall.recall({query: 'Would Caroline be considered brave?', agentId: agent, limit: 4})
        const ids = hedged.hits.map((hit) => hit.memory.id)
        expect(ids.indexOf(aboutSelf.id)).toBeGreaterThanOrEqual(0)
        expect(ids.indexOf(aboutSelf.id)).toBeLessThan(ids.indexOf(aboutOther.id))
        expect(hedged.hits.find((hit) => hit.memory.id === aboutSelf.id)?.why.signals.self).toBe(1)
        expect(hedged.hits.find((hit) => hit.memory.id === aboutOther.id)?.why.signals.self).toBe(0)
        // Not hedged: what Caroline said is asked for, not what she is; no first-person share.
        const plain = await storage.recall.recall({query: 'What did Caroline say?', agentId: agent, limit: 4})
        expect(plain.hits.every((hit) => hit.why.signals.self === 0)).toBe(true)
      })
    })

    describe('sessions', () => {
      it('a first touch creates and fixes the owner; later touches know it', async () => {
        const first = await storage.sessions.touch({
          agentId: 'ses-a',
          sessionKey: 'ses-1',
          harness: 'claude-code',
          machineId: `m ${GITHUB_TOKEN}`,
          project: 'alpha',
          keyId: 'key_x',
        })
        expect(first.known).toBe(false)
        expect(first.session).toMatchObject({
          sessionKey: 'ses-1',
          agentId: 'ses-a',
          harness: 'claude-code',
          project: 'alpha',
          keyId: 'key_x',
          endedAt: null,
          contextLoadedAt: null,
          injectedIds: [],
        })
        expect(first.session.machineId).toBe('m [REDACTED:github-token]')
        expect(first.session.startedAt).toMatch(ISO)
        const second = await storage.sessions.touch({agentId: 'ses-a', sessionKey: 'ses-1', project: 'other'})
        expect(second).toMatchObject({known: true, session: {project: 'alpha'}})
        expect(await storage.sessions.ownedByAnotherAgent('ses-1', 'ses-b')).toBe(true)
        expect(await storage.sessions.ownedByAnotherAgent('ses-1', 'ses-a')).toBe(false)
        expect(await storage.sessions.get('ses-b', 'ses-1')).toBeUndefined()
      })

      it('remembers injected ids without repeats, clears them, and marks context and end', async () => {
        await storage.sessions.touch({agentId: 'ses-i', sessionKey: 'inj'})
        await storage.sessions.addInjected('ses-i', 'inj', ['a', 'b'])
        await storage.sessions.addInjected('ses-i', 'inj', ['b', 'c'])
        await storage.sessions.addInjected('ses-i', 'missing', ['z'])
        expect((await storage.sessions.get('ses-i', 'inj'))?.injectedIds).toEqual(['a', 'b', 'c'])
        await storage.sessions.clearInjected('ses-i', 'inj')
        expect((await storage.sessions.get('ses-i', 'inj'))?.injectedIds).toEqual([])
        await storage.sessions.markContextLoaded('ses-i', 'inj')
        await storage.sessions.end('ses-i', 'inj')
        const session = await storage.sessions.get('ses-i', 'inj')
        expect(session?.contextLoadedAt).toMatch(ISO)
        expect(session?.endedAt).toMatch(ISO)
        expect(await storage.sessions.get('ses-i', 'missing')).toBeUndefined()
      })

      it('lists by agent and project with a total, and records harness sightings', async () => {
        for (const [key, project] of [
          ['l1', 'alpha'],
          ['l2', 'beta'],
          ['l3', null],
        ] as const) {
          await storage.sessions.touch({agentId: 'ses-l', sessionKey: key, project})
          await new Promise((resolve) => setTimeout(resolve, 2))
        }
        const all = await storage.sessions.list({agentId: 'ses-l', limit: 2, offset: 0})
        expect(all.total).toBe(3)
        expect(all.sessions.map((session) => session.sessionKey)).toEqual(['l3', 'l2'])
        const alpha = await storage.sessions.list({agentId: 'ses-l', project: 'alpha', includeGlobal: true, limit: 10, offset: 0})
        expect(alpha.sessions.map((session) => session.sessionKey).sort()).toEqual(['l1', 'l3'])

        await storage.sessions.recordSighting({harness: 'codex', agentId: 'ses-s', machineId: 'box', event: 'session-start'})
        await storage.sessions.recordSighting({harness: 'codex', agentId: 'ses-s', machineId: 'box2', event: 'prompt'})
        await storage.sessions.recordSighting({harness: 'pi', agentId: 'ses-t', event: 'prompt'})
        const sightings = await storage.sessions.sightings('ses-s')
        expect(sightings).toEqual([{harness: 'codex', agentId: 'ses-s', machineId: 'box2', lastSeenAt: expect.stringMatching(ISO), lastEvent: 'prompt'}])
        expect((await storage.sessions.sightings()).length).toBeGreaterThanOrEqual(2)
      })
    })

    describe('transcripts', () => {
      it('keeps one transcript per session (the longest), redacted; summaries add up; idempotent', async () => {
        const saved = await storage.transcripts.save({
          agentId: 'tr-a',
          sessionKey: 'tr-1',
          kind: 'transcript',
          content: `user: the key is ${GITHUB_TOKEN}\nassistant: noted`,
          harness: 'codex',
          project: 'alpha',
        })
        expect(saved.deduped).toBe(false)
        expect(saved.id).toMatch(UUID)
        expect(saved.content).toContain('[REDACTED:github-token]')
        expect(saved.redacted).toEqual({'github-token': 1})
        const shorter = await storage.transcripts.save({agentId: 'tr-a', sessionKey: 'tr-1', kind: 'transcript', content: 'user: hi'})
        expect(shorter).toMatchObject({id: saved.id, deduped: true})
        const longer = await storage.transcripts.save({
          agentId: 'tr-a',
          sessionKey: 'tr-1',
          kind: 'transcript',
          content: `${saved.content}\nuser: and the pelican migration plan?`,
        })
        expect(longer.deduped).toBe(false)
        await storage.transcripts.save({
          agentId: 'tr-a',
          sessionKey: 'tr-1',
          kind: 'compaction-summary',
          content: 'Summary: pelicans migrate south',
          idempotencyKey: 'sum-1',
        })
        const replay = await storage.transcripts.save({
          agentId: 'tr-a',
          sessionKey: 'tr-1',
          kind: 'compaction-summary',
          content: 'something else',
          idempotencyKey: 'sum-1',
        })
        expect(replay.deduped).toBe(true)
        const records = await storage.transcripts.forSession('tr-a', 'tr-1')
        expect(records.map((record) => record.kind)).toEqual(['transcript', 'compaction-summary'])
        expect(records[0]).toMatchObject({id: longer.id, agentId: 'tr-a', sessionKey: 'tr-1'})
        expect(records[0].content).toContain('pelican migration plan')
        expect(await storage.transcripts.count('tr-a', 'tr-1')).toBe(2)
        expect(await storage.transcripts.forSession('tr-b', 'tr-1')).toEqual([])
      })

      it('searches one agent’s transcripts by words with a marked excerpt, scoped by session', async () => {
        await storage.transcripts.save({
          agentId: 'tr-s',
          sessionKey: 's1',
          kind: 'transcript',
          content: 'We discussed the kubernetes rollout and the canary deploys.',
          project: 'alpha',
        })
        await storage.transcripts.save({agentId: 'tr-s', sessionKey: 's2', kind: 'transcript', content: 'Lunch plans: tacos on Friday.'})
        await storage.transcripts.save({agentId: 'tr-other', sessionKey: 's3', kind: 'transcript', content: 'kubernetes everywhere'})
        const hits = await storage.transcripts.search({query: 'How did the Kubernetes rollout go?', agentId: 'tr-s', limit: 5})
        expect(hits.map((hit) => hit.sessionKey)).toEqual(['s1'])
        // A text shorter than an excerpt comes whole, its last full stop too, with no "…" (FTS5's snippet() is the reference).
        expect(hits[0].excerpt).toBe('We discussed the «kubernetes» «rollout» and the canary deploys.')
        expect(hits[0].rank).toBeGreaterThan(0)
        expect(hits[0].rank).toBeLessThan(1)
        expect(hits[0]).toMatchObject({agentId: 'tr-s', kind: 'transcript', project: 'alpha'})
        expect(await storage.transcripts.search({query: 'kubernetes', agentId: 'tr-s', excludeSessionKey: 's1', limit: 5})).toEqual([])
        expect(await storage.transcripts.search({query: 'kubernetes', agentId: 'tr-s', sessionKey: 's2', limit: 5})).toEqual([])
        expect(await storage.transcripts.search({query: 'kubernetes', agentId: 'tr-s', project: 'beta', limit: 5})).toEqual([])
        expect(await storage.transcripts.search({query: '   ', agentId: 'tr-s', limit: 5})).toEqual([])
        expect(await storage.transcripts.search({query: '"OR" NEAR(* -', agentId: 'tr-s', limit: 5})).toEqual([])
      })
    })

    describe('receipts', () => {
      it('keeps each prompt’s memories, scores and why, oldest turn first', async () => {
        await storage.receipts.record('rc', 's', {
          at: '2026-01-01T00:00:00.000Z',
          memories: [{id: 'm1', score: 0.8, why: {matched: ['x']}}],
          messageIds: ['msg1'],
          elapsedMs: 3.5,
        })
        await storage.receipts.record('rc', 's', {at: '2026-01-01T00:01:00.000Z', memories: [], messageIds: [], elapsedMs: 1})
        await storage.receipts.record('rc', 'other', {at: '2026-01-01T00:02:00.000Z', memories: [], messageIds: [], elapsedMs: 1})
        const receipts = await storage.receipts.forSession('rc', 's')
        expect(receipts).toEqual([
          {at: '2026-01-01T00:00:00.000Z', memories: [{id: 'm1', score: 0.8, why: {matched: ['x']}}], messageIds: ['msg1'], elapsedMs: 3.5},
          {at: '2026-01-01T00:01:00.000Z', memories: [], messageIds: [], elapsedMs: 1},
        ])
        expect(await storage.receipts.forSession('rc', 's', 1)).toHaveLength(1)
      })
    })

    describe('api keys', () => {
      it('creates keys shown once, verifies, touches, revokes and rotates', async () => {
        const created = await storage.apiKeys.create({
          name: `ci ${GITHUB_TOKEN}`,
          role: 'agent',
          agentId: 'key-agent',
          scope: {project: 'alpha'},
          permissions: ['memories:read' as never],
        })
        expect(created.key).toMatch(API_KEY_PATTERN)
        expect(created.id).toMatch(/^key_[A-Za-z0-9_-]{16}$/)
        expect(created.name).toBe('ci [REDACTED:github-token]')
        expect(created).toMatchObject({
          role: 'agent',
          agentId: 'key-agent',
          scope: {agent: 'key-agent', project: 'alpha'},
          lastUsedAt: null,
          revokedAt: null,
          expiresAt: null,
        })
        expect(created.createdAt).toMatch(ISO)
        expect(JSON.stringify(await storage.apiKeys.list())).not.toContain(created.key)
        expect(await storage.apiKeys.find(created.prefix)).toMatchObject({id: created.id})
        expect(await storage.apiKeys.find(created.id)).toMatchObject({prefix: created.prefix})
        expect(await storage.apiKeys.find('key_doesnotexist0000')).toBeUndefined()

        const ok = await storage.apiKeys.verify(created.key)
        expect(ok.ok).toBe(true)
        expect((await storage.apiKeys.find(created.id))?.lastUsedAt).toMatch(ISO)
        expect(await storage.apiKeys.verify('nonsense')).toEqual({ok: false, reason: 'malformed'})
        expect(await storage.apiKeys.verify(`${created.key.slice(0, -1)}${created.key.endsWith('A') ? 'B' : 'A'}`)).toEqual({ok: false, reason: 'invalid'})
        expect(await storage.apiKeys.verify(`sig_sk_000000000000_${'A'.repeat(43)}`)).toEqual({ok: false, reason: 'invalid'})

        const expiring = await storage.apiKeys.create({name: 'short', role: 'readonly', expiresAt: new Date(Date.now() + 60_000).toISOString()})
        expect(await storage.apiKeys.verify(expiring.key, Date.now() + 120_000)).toEqual({ok: false, reason: 'expired', keyId: expiring.id})

        const rotated = await storage.apiKeys.rotate(created.id)
        expect(rotated?.replaced.revokedAt).toMatch(ISO)
        expect(rotated?.created).toMatchObject({name: created.name, role: 'agent', scope: created.scope, agentId: 'key-agent'})
        expect(await storage.apiKeys.verify(created.key)).toEqual({ok: false, reason: 'revoked', keyId: created.id})
        expect((await storage.apiKeys.verify(rotated!.created.key)).ok).toBe(true)
        expect(await storage.apiKeys.rotate('key_doesnotexist0000')).toBeUndefined()

        const revoked = await storage.apiKeys.revoke(rotated!.created.prefix)
        const again = await storage.apiKeys.revoke(rotated!.created.id)
        expect(again?.revokedAt).toBe(revoked?.revokedAt)
        expect(await storage.apiKeys.revoke('key_doesnotexist0000')).toBeUndefined()
        const listed = await storage.apiKeys.list()
        expect(listed[0].id).toBe(rotated!.created.id)
      })
    })

    describe('audit', () => {
      it('records events with Signet credentials masked in details, newest first, filtered', async () => {
        const presented = `sig_sk_0123456789ab_${'Q'.repeat(43)}`
        await storage.audit.record({event: 'auth_failed', peer: '203.0.113.1', detail: {reason: 'invalid', path: `/api/x?key=${presented}`}})
        await storage.audit.record({event: 'key_created', keyId: 'key_audit', detail: {name: 'x'}})
        const all = await storage.audit.list()
        expect(all[0]).toMatchObject({event: 'key_created', keyId: 'key_audit', detail: {name: 'x'}})
        expect(JSON.stringify(all)).not.toContain(presented)
        expect(all[1].detail.path).toBe('/api/x?key=sig_sk_[redacted]')
        expect(all[1].at).toMatch(ISO)
        expect((await storage.audit.list({event: 'auth_failed'})).every((entry) => entry.event === 'auth_failed')).toBe(true)
        expect(await storage.audit.list({keyId: 'key_audit'})).toHaveLength(1)
        expect(await storage.audit.list({limit: 1})).toHaveLength(1)
      })
    })

    describe('pairing', () => {
      it('issues codes, claims each once, and refuses expired, unknown and malformed ones', async () => {
        const before = await storage.pairing.pendingCount()
        const issued = await storage.pairing.issue({connector: 'pi', agentId: 'pair-agent', role: 'agent', project: `p ${GITHUB_TOKEN}`}, 600_000)
        expect(issued.code).toMatch(/^[2-9A-Z]{3}-[2-9A-Z]{3}$/)
        expect(await storage.pairing.pendingCount()).toBe(before + 1)
        const claimed = await storage.pairing.claim(issued.code.toLowerCase().replace('-', ' '), (grant) => ({
          name: 'paired',
          role: grant.role,
          agentId: grant.agentId,
          connector: grant.connector,
          scope: {project: grant.project ?? undefined},
        }))
        expect(claimed.status).toBe('ok')
        if (claimed.status !== 'ok' || !('created' in claimed)) throw new Error('claim failed')
        expect(claimed.created).toMatchObject({agentId: 'pair-agent', connector: 'pi', scope: {agent: 'pair-agent', project: 'p [REDACTED:github-token]'}})
        expect((await storage.apiKeys.verify(claimed.created.key)).ok).toBe(true)
        expect(await storage.pairing.claim(issued.code, () => ({name: 'x', role: 'agent'}))).toEqual({status: 'used'})
        expect(await storage.pairing.pendingCount()).toBe(before)
        expect(await storage.pairing.claim('AB', () => ({name: 'x', role: 'agent'}))).toEqual({status: 'malformed'})
        expect(await storage.pairing.claim('222-222', () => ({name: 'x', role: 'agent'}))).toEqual({status: 'unknown'})
        const past = new Date(Date.now() - 3_600_000)
        const old = await storage.pairing.issue({connector: null, agentId: null, role: 'agent', project: null}, 60_000, past)
        expect(await storage.pairing.claim(old.code, () => ({name: 'x', role: 'agent'}))).toEqual({status: 'expired'})
      })
    })

    describe('devices', () => {
      it('spends a login link once, verifies the session cookie, lists and revokes devices', async () => {
        const link = await storage.devices.issueLink({name: 'phone', agentId: 'dev-agent', project: null})
        expect(link.token).toMatch(/^[A-Za-z0-9_-]{43}$/)
        expect(await storage.devices.pendingLinkCount()).toBeGreaterThanOrEqual(1)
        const login = await storage.devices.login(link.token, 'Mozilla/5.0 '.repeat(40))
        expect(login.status).toBe('ok')
        if (login.status !== 'ok') return
        expect(login.device).toMatchObject({name: 'phone', agentId: 'dev-agent', status: 'active', revokedAt: null})
        expect(login.device.id).toMatch(/^dev_[A-Za-z0-9_-]{16}$/)
        expect(login.device.userAgent).toHaveLength(200)
        expect(await storage.devices.login(link.token, null)).toEqual({status: 'used'})
        expect(await storage.devices.login('short', null)).toEqual({status: 'malformed'})
        expect(await storage.devices.login('A'.repeat(43), null)).toEqual({status: 'unknown'})
        const expired = await storage.devices.issueLink({name: 'old', agentId: null, project: null}, 1000, new Date(Date.now() - 60_000))
        expect(await storage.devices.login(expired.token, null)).toEqual({status: 'expired'})

        expect(await storage.devices.verify(login.token)).toMatchObject({ok: true, device: {id: login.device.id}})
        expect(await storage.devices.verify('B'.repeat(43))).toEqual({ok: false, reason: 'unknown'})
        expect(await storage.devices.verify('x')).toEqual({ok: false, reason: 'malformed'})
        expect(await storage.devices.verify(login.token, new Date(Date.now() + 31 * 86_400_000))).toEqual({
          ok: false,
          reason: 'expired',
          deviceId: login.device.id,
        })
        expect((await storage.devices.list()).map((device) => device.id)).toContain(login.device.id)
        expect((await storage.devices.revoke(login.device.id))?.status).toBe('revoked')
        expect(await storage.devices.verify(login.token)).toEqual({ok: false, reason: 'revoked', deviceId: login.device.id})
        expect(await storage.devices.revoke('dev_missing')).toBeUndefined()
        expect(await storage.devices.get(login.device.id)).toMatchObject({status: 'revoked'})
      })
    })

    describe('agent messages', () => {
      it('sends redacted messages, threads replies, delivers each once and acks once', async () => {
        const sent = await storage.messages.send({
          from: {agent: 'msg-a', machine: 'box', harness: 'codex', session: 'sa'},
          to: {address: 'msg-b', agent: 'msg-b'},
          kind: 'request',
          subject: 'token',
          body: `use ${GITHUB_TOKEN}`,
        })
        expect(sent.redactions).toBe(1)
        expect(sent.message).toMatchObject({
          from: {agent: 'msg-a', machine: 'box', harness: 'codex', session: 'sa'},
          to: 'msg-b',
          toAgent: 'msg-b',
          kind: 'request',
          state: 'pending',
          replyTo: null,
        })
        expect(sent.message.body).toBe('use [REDACTED:github-token]')
        expect(sent.message.thread).toBe(sent.message.id)
        expect(sent.event).toMatchObject({type: 'message', messageId: sent.message.id, toAgent: 'msg-b', fromAgent: 'msg-a'})
        const reply = await storage.messages.send({
          from: {agent: 'msg-b'},
          to: {address: 'msg-a', agent: 'msg-a'},
          kind: 'reply',
          body: 'ok',
          replyTo: sent.message.id,
        })
        expect(reply.message).toMatchObject({replyTo: sent.message.id, thread: sent.message.thread})
        const narrowed = await storage.messages.send({
          from: {agent: 'msg-a'},
          to: {address: 'msg-b@laptop', agent: 'msg-b', machine: 'laptop'},
          kind: 'note',
          body: 'laptop only',
        })

        expect((await storage.messages.unreadFor('msg-b', {machine: 'desktop'})).map((message) => message.id)).toEqual([sent.message.id])
        expect((await storage.messages.unreadFor('msg-b', {machine: 'laptop'})).map((message) => message.id)).toEqual([sent.message.id, narrowed.message.id])

        const claim = await storage.messages.claimUnread('msg-b', {machine: 'laptop', session: 'sb'}, (unread) => unread.slice(0, 1))
        expect(claim.shown.map((message) => message.id)).toEqual([sent.message.id])
        expect(claim.deferred).toBe(1)
        expect(claim.events).toMatchObject([{type: 'delivered', messageId: sent.message.id}])
        expect(await storage.messages.markDelivered([sent.message.id], 'sb')).toEqual([])
        expect(await storage.messages.get(sent.message.id)).toMatchObject({state: 'delivered', deliveredSession: 'sb'})

        const acked = await storage.messages.ack(narrowed.message.id)
        expect(acked?.message).toMatchObject({state: 'acked'})
        expect(acked?.message.deliveredAt).toBe(acked?.message.ackedAt)
        expect(acked?.event?.type).toBe('acked')
        const twice = await storage.messages.ack(narrowed.message.id)
        expect(twice?.event).toBeUndefined()
        expect(twice?.message.ackedAt).toBe(acked?.message.ackedAt)
        expect(await storage.messages.ack('missing')).toBeUndefined()

        expect((await storage.messages.list('msg-b')).map((message) => message.id)).toEqual([narrowed.message.id, sent.message.id])
        expect((await storage.messages.list('msg-b', {state: 'delivered'})).map((message) => message.id)).toEqual([sent.message.id])
        expect((await storage.messages.list('msg-b', {state: 'unacked'})).map((message) => message.id)).toEqual([sent.message.id])
        expect((await storage.messages.list('msg-a', {box: 'sent', limit: 1})).map((message) => message.id)).toEqual([narrowed.message.id])
        expect((await storage.messages.list('msg-a', {thread: sent.message.thread})).map((message) => message.id)).toEqual([reply.message.id])

        const events = await storage.messages.eventsFor('msg-b', 0)
        expect(events.map((event) => event.type)).toEqual(['message', 'message', 'message', 'delivered', 'acked'])
        expect(events.every((event, index) => index === 0 || event.seq > events[index - 1].seq)).toBe(true)
        expect(await storage.messages.eventsFor('msg-b', events[2].seq)).toHaveLength(2)
        expect(await storage.messages.lastEventSeq()).toBe(events[events.length - 1].seq)
      })
    })

    describe('presence', () => {
      it('keeps one row per session, fades by age, and answers who owns a session', async () => {
        const now = new Date()
        await storage.presence.see({agentId: 'pr-a', harness: 'codex', machineId: 'box', sessionKey: 'p1', project: 'alpha', event: 'session-start'}, now)
        await storage.presence.see({agentId: 'pr-a', harness: 'codex', machineId: 'box', sessionKey: 'p1', event: 'prompt'}, now)
        await storage.presence.see({agentId: 'pr-a', harness: 'pi', sessionKey: 'p2', event: 'prompt'}, new Date(now.getTime() - 10 * 60_000))
        await storage.presence.see({agentId: 'pr-b', harness: 'codex', sessionKey: 'p3', event: 'session-end'}, now)
        const peers = await storage.presence.list({agentId: 'pr-a'}, now.getTime())
        expect(peers).toHaveLength(2)
        expect(peers[0]).toMatchObject({
          agent: 'pr-a',
          harness: 'codex',
          machine: 'box',
          session: 'p1',
          project: 'alpha',
          lastEvent: 'prompt',
          status: 'online',
        })
        expect(peers[1]).toMatchObject({harness: 'pi', machine: null, status: 'idle'})
        expect((await storage.presence.list({agentId: 'pr-b'}))[0].status).toBe('offline')
        expect(await storage.presence.agentOfSession('p1')).toEqual({agent: 'pr-a', project: 'alpha'})
        expect(await storage.presence.agentOfSession('')).toBeUndefined()
        expect(await storage.presence.sessionOf('pr-a', 'p1')).toEqual({harness: 'codex', machine: 'box'})
        expect(await storage.presence.sessionOf('pr-a', 'nope')).toBeUndefined()
        expect(await storage.presence.isKnownAgent('pr-a')).toBe(true)
        expect(await storage.presence.isKnownAgent('pr-z')).toBe(false)
        expect(await storage.presence.projectsOf('pr-a')).toEqual(['alpha'])
      })
    })

    describe('rate limits', () => {
      it('counts hits in a fixed window that starts at the first hit', async () => {
        const key = `rl-${Math.random()}`
        expect(await storage.rateLimits.peek(key, 1000, 10_000)).toEqual({count: 0, resetAt: 11_000})
        expect(await storage.rateLimits.hit(key, 1000, 10_000)).toEqual({count: 1, resetAt: 11_000})
        expect(await storage.rateLimits.hit(key, 1000, 10_500)).toEqual({count: 2, resetAt: 11_000})
        expect(await storage.rateLimits.peek(key, 1000, 10_900)).toEqual({count: 2, resetAt: 11_000})
        expect(await storage.rateLimits.hit(key, 1000, 11_000)).toEqual({count: 1, resetAt: 12_000})
        expect(await storage.rateLimits.peek(key, 1000, 12_500)).toEqual({count: 0, resetAt: 13_500})
      })
    })

    describe('table copy and health', () => {
      it('pages every table by key and moves the change counter on writes', async () => {
        const tables = await storage.tables.tables()
        expect(tables.map((table) => table.name)).toContain('memories')
        const before = await storage.changeCounter()
        await storage.memories.remember({agentId: 'tc', content: `counter ${Math.random()}`})
        expect(await storage.changeCounter()).toBeGreaterThan(before)
        for (const table of tables) {
          const total = await storage.tables.count(table.name)
          const seen: Array<Record<string, unknown>> = []
          let after: string | number | null = null
          for (;;) {
            const page = await storage.tables.read(table.name, after, 7)
            seen.push(...page)
            if (page.length < 7) break
            const keys = table.key.split(',')
            const last = page[page.length - 1]
            after = keys.length === 1 ? (last[keys[0]] as string | number) : JSON.stringify(keys.map((key) => last[key]))
          }
          expect(seen.length, table.name).toBe(total)
        }
        const health = await storage.health()
        expect(health.ok).toBe(true)
        expect(health.schemaVersion).toBe(health.latestSchemaVersion)
        expect(storage.writeProblem()).toBeUndefined()
      })
    })
  })
}
