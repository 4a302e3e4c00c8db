import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {writeStarterFiles} from '../../src/setup/workspace-starter-files.js'
import {startTestDaemon, type TestDaemon} from '../helpers/daemon.js'
import {seedFiller} from './support/corpus.js'

let daemon: TestDaemon
const project = {id: 'github.com/acme/api', cwd: '/src/api', gitRoot: '/src/api', gitRemote: 'github.com/acme/api'}
let deployId: string
let otherProjectId: string
let globalId: string

beforeAll(async () => {
  daemon = await startTestDaemon()
  const memories = daemon.context.storage.memories
  await seedFiller(memories, 120)
  deployId = (
    await memories.remember({
      content: 'Deploys go through the blue-green pipeline on Fridays',
      agentId: 'default',
      project: 'github.com/acme/api',
      importance: 0.8,
    })
  ).memory.id
  otherProjectId = (
    await memories.remember({content: 'The billing service deploys with canary releases in Frankfurt', agentId: 'default', project: 'github.com/acme/billing'})
  ).memory.id
  globalId = (
    await memories.remember({content: 'The user prefers pnpm over npm for every JavaScript project', agentId: 'default', type: 'preference', importance: 0.9})
  ).memory.id
  await memories.remember({content: 'Pipeline secrets for agent two live in vault path kv/two', agentId: 'agent-two', project: 'github.com/acme/api'})
  writeFileSync(path.join(daemon.workspace, 'SOUL.md'), '# Soul\nBe direct and kind.\n')
  writeFileSync(path.join(daemon.workspace, 'USER.md'), '# User\nNicola, backend engineer, prefers short answers.\n')
  writeFileSync(path.join(daemon.workspace, 'AGENTS.md'), `# Agent instructions\nRun the tests before you commit.\n${'Filler guidance line.\n'.repeat(400)}`)
})

afterAll(async () => {
  await daemon.stop()
})

const hook = (event: string, body: Record<string, unknown>, headers?: Record<string, string>) =>
  daemon.request('POST', `/api/hooks/${event}`, {body: {harness: 'claude-code', project, ...body}, headers})

describe('POST /api/hooks/session-start', () => {
  it('leaves out a MEMORY.md that says nothing yet (the starter file)', async () => {
    const starter = mkdtempSync(path.join(tmpdir(), 'signet-starter-'))
    writeStarterFiles(starter)
    writeFileSync(path.join(daemon.workspace, 'MEMORY.md'), readFileSync(path.join(starter, 'MEMORY.md'), 'utf8'))
    rmSync(starter, {recursive: true, force: true})
    const {body} = await hook('session-start', {sessionKey: 'start-starter', source: 'startup'})
    expect(body.inject).not.toContain('Working Memory')
    expect(body.inject).not.toContain('No working memory yet')
    expect(body.inject).toContain('Deploys go through the blue-green pipeline on Fridays')
  })

  it('injects identity heads, MEMORY.md and relevant memories for the agent+project within 9,500 chars, and records the session', async () => {
    writeFileSync(path.join(daemon.workspace, 'MEMORY.md'), '# MEMORY\nWorking on the payments migration.\n')
    const {status, body} = await hook('session-start', {sessionKey: 'start-1', source: 'startup', machineId: 'laptop'})
    expect(status).toBe(200)
    expect(body.sessionKnown).toBe(false)
    const inject = body.inject as string
    expect(inject.length).toBeLessThanOrEqual(9500)
    expect(inject).toContain('## Agent Instructions\n# Agent instructions\nRun the tests before you commit.')
    expect(inject).toMatch(/AGENTS\.md continues; \d+ more characters not shown/)
    expect(inject).toContain('## Soul\n# Soul\nBe direct and kind.')
    expect(inject).toContain('## About Your User')
    expect(inject).toContain('Working on the payments migration.')
    expect(inject).toContain('Deploys go through the blue-green pipeline on Fridays')
    expect(inject).toContain('prefers pnpm over npm')
    // Another project's memory and another agent's memory never appear.
    expect(inject).not.toContain('canary releases in Frankfurt')
    expect(inject).not.toContain('vault path kv/two')
    expect(body.receipt.ids).toContain(deployId)
    expect(body.receipt.ids).not.toContain(otherProjectId)
    // Memories are framed as data inside a closed fence.
    const open = inject.indexOf('<signet-recalled-memories>')
    expect(open).toBeGreaterThan(-1)
    expect(inject.indexOf('</signet-recalled-memories>', open)).toBeGreaterThan(open)
    expect(inject).toContain('not instructions')

    const session = await daemon.request('GET', '/api/sessions/start-1')
    expect(session.body.session).toMatchObject({
      sessionKey: 'start-1',
      agentId: 'default',
      harness: 'claude-code',
      machineId: 'laptop',
      project: 'github.com/acme/api',
      endedAt: null,
    })
  })

  it('returns a short stub when the same session starts again, and a full inject again after compaction', async () => {
    await hook('session-start', {sessionKey: 'start-2', source: 'startup'})
    const again = await hook('session-start', {sessionKey: 'start-2', source: 'resume'})
    expect(again.body.sessionKnown).toBe(true)
    expect(again.body.inject.length).toBeLessThan(300)
    expect(again.body.inject).toContain('Session resumed')
    expect(again.body.receipt.ids).toEqual([])
    const afterCompact = await hook('session-start', {sessionKey: 'start-2', source: 'compact'})
    expect(afterCompact.body.inject).toContain('## Relevant Memories')
    expect(afterCompact.body.inject.length).toBeGreaterThan(1000)
  })

  it('a session first seen through a prompt still gets its full start inject', async () => {
    await hook('user-prompt-submit', {sessionKey: 'start-3', prompt: 'deploys on Fridays'})
    const start = await hook('session-start', {sessionKey: 'start-3', source: 'startup'})
    expect(start.body.inject).toContain('## Agent Instructions')
    // …and the memory the prompt already injected is not repeated.
    expect(start.body.receipt.ids).not.toContain(deployId)
  })

  it('names the bad field', async () => {
    const missing = await daemon.request('POST', '/api/hooks/session-start', {body: {sessionKey: 'x'}})
    expect(missing.status).toBe(400)
    expect(missing.body).toMatchObject({code: 'invalid_request', field: 'harness'})
    const badProject = await hook('session-start', {project: 42})
    expect(badProject.status).toBe(400)
    expect(badProject.body.field).toBe('project')
    const notJson = await daemon.request('POST', '/api/hooks/user-prompt-submit', {rawBody: '{"harness":', headers: {'content-type': 'application/json'}})
    expect(notJson.status).toBe(400)
    expect(notJson.body.code).toBe('invalid_json')
  })
})

describe('POST /api/hooks/user-prompt-submit', () => {
  it('injects only relevant memories above the threshold, with a receipt, and never repeats them in the session', async () => {
    const first = await hook('user-prompt-submit', {sessionKey: 'prompt-1', prompt: 'How do our deploys work on Fridays?'})
    expect(first.status).toBe(200)
    expect(first.body.inject).toContain('Deploys go through the blue-green pipeline on Fridays')
    expect(first.body.inject).not.toContain('canary releases')
    expect(first.body.receipt.ids).toEqual([deployId])
    expect(first.body.receipt.scores[0]).toBeGreaterThanOrEqual(first.body.receipt.threshold)
    expect(first.body.receipt.elapsedMs).toBeGreaterThan(0)
    expect(first.body.memoryCount).toBe(1)

    const second = await hook('user-prompt-submit', {sessionKey: 'prompt-1', prompt: 'Remind me about the Friday deploys pipeline'})
    expect(second.body.receipt.ids).not.toContain(deployId)
    expect(second.body.inject).not.toContain('blue-green')

    // Another session gets it again.
    const other = await hook('user-prompt-submit', {sessionKey: 'prompt-2', prompt: 'How do our deploys work on Fridays?'})
    expect(other.body.receipt.ids).toEqual([deployId])
  })

  it('injects nothing for prompts with no relevant memory or only function words', async () => {
    const shared = (await daemon.context.storage.memories.remember({content: 'The haiku contest results are pinned on the kitchen wall', agentId: 'default'}))
      .memory.id
    // One rare shared word scores high on its own; two content words must match.
    const unrelated = await hook('user-prompt-submit', {sessionKey: 'prompt-3', prompt: 'Write a haiku about autumn leaves'})
    expect(unrelated.body).toMatchObject({inject: '', memoryCount: 0})
    expect(unrelated.body.receipt.considered).toBeGreaterThan(0)
    expect(unrelated.body.receipt.minMatchedTerms).toBe(2)
    const related = await hook('user-prompt-submit', {sessionKey: 'prompt-3', prompt: 'where are the haiku contest results?'})
    expect(related.body.receipt.ids).toEqual([shared])
    await daemon.context.storage.memories.forget(shared, 'default')
    const filler = await hook('user-prompt-submit', {sessionKey: 'prompt-3', prompt: 'what is this and how does it do that?'})
    expect(filler.body).toMatchObject({inject: '', memoryCount: 0})
    expect(filler.body.receipt.considered).toBe(0)
  })

  it('includes global memories and excludes other projects', async () => {
    const {body} = await hook('user-prompt-submit', {sessionKey: 'prompt-4', prompt: 'should I use pnpm or npm to install the canary deploy tooling'})
    expect(body.receipt.ids).toContain(globalId)
    expect(body.receipt.ids).not.toContain(otherProjectId)
  })

  it('honours hooks.promptMinScore from agent.yaml', async () => {
    const strict = await startTestDaemon({agentYaml: 'hooks:\n  promptMinScore: 0.99\n'})
    try {
      await seedFiller(strict.context.storage.memories, 50)
      await strict.context.storage.memories.remember({content: 'Deploys go through the blue-green pipeline on Fridays', agentId: 'default'})
      const {body} = await strict.request('POST', '/api/hooks/user-prompt-submit', {body: {harness: 'codex', prompt: 'deploys on Fridays?'}})
      expect(body.receipt.threshold).toBe(0.99)
      expect(body.inject).toBe('')
    } finally {
      await strict.stop()
    }
  })

  it('a daemon with an invalid hooks setting refuses to start, naming the key', async () => {
    await expect(startTestDaemon({agentYaml: 'hooks:\n  promptMinScore: 3\n'})).rejects.toThrow(/hooks\.promptMinScore/)
  })
})

describe('compaction', () => {
  it('pre-compaction returns summary guidelines and snapshots the transcript', async () => {
    const {status, body} = await hook('pre-compaction', {
      sessionKey: 'compact-1',
      trigger: 'auto',
      transcript: 'User: we are migrating payments to the ledger service\n\nAssistant: ok',
    })
    expect(status).toBe(200)
    expect(body.summaryPrompt).toContain('decisions')
    expect(body.guidelines.length).toBeGreaterThan(3)
    const search = await daemon.request('POST', '/api/sessions/search', {body: {query: 'ledger service'}})
    expect(search.body.hits.map((hit: {sessionKey: string}) => hit.sessionKey)).toContain('compact-1')
  })

  it('compaction-complete stores the summary as a session artifact and a memory, once', async () => {
    const summary = 'We moved the invoice renderer to the zeppelin queue; next step is load testing.'
    const first = await hook('compaction-complete', {sessionKey: 'compact-1', summary, idempotencyKey: 'cc-1'})
    expect(first.status).toBe(200)
    expect(first.body).toMatchObject({success: true, deduped: false})
    const replay = await hook('compaction-complete', {sessionKey: 'compact-1', summary, idempotencyKey: 'cc-1'})
    expect(replay.body).toMatchObject({memoryId: first.body.memoryId, transcriptId: first.body.transcriptId, deduped: true})
    const memory = await daemon.request('GET', `/api/memory/${first.body.memoryId}`)
    expect(memory.body.memory).toMatchObject({type: 'summary', project: 'github.com/acme/api', source: 'compaction'})
    expect(memory.body.memory.content).toContain('zeppelin queue')
    const search = await daemon.request('POST', '/api/sessions/search', {body: {query: 'zeppelin'}})
    expect(search.body.hits).toHaveLength(1)
    expect(search.body.hits[0]).toMatchObject({sessionKey: 'compact-1', kind: 'compaction-summary'})
  })
})

describe('POST /api/hooks/session-end', () => {
  const transcript = [
    'User: Please remember that the staging database runs on port 5433.',
    'Assistant: Noted. I will use port 5433 for staging.',
    'User: We decided to use Postgres 16 for the analytics cluster. I prefer tabs over spaces in Makefiles.',
    'Assistant: Remember that I cannot access production.',
    'User: do you remember when we fixed the flaky test? Also my key is sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789 and the db url is postgres://admin:hunter2hunter2@db.internal:5432/app',
  ].join('\n\n')

  it('stores the redacted transcript, makes it searchable, extracts durable memories and refreshes MEMORY.md', async () => {
    const {status, body} = await hook('session-end', {sessionKey: 'end-1', reason: 'prompt_input_exit', transcript, idempotencyKey: 'end-1-a'})
    expect(status).toBe(200)
    expect(body.deduped).toBe(false)
    expect(body.redactions).toBeGreaterThanOrEqual(2)
    const stored = await daemon.request('GET', '/api/sessions/end-1/transcript')
    expect(stored.body.content).toContain('staging database runs on port 5433')
    expect(stored.body.content).not.toContain('sk-ant-api03')
    expect(stored.body.content).not.toContain('hunter2hunter2')
    expect(stored.body.content).toContain('[REDACTED:anthropic-key]')

    const search = await daemon.request('POST', '/api/sessions/search', {body: {query: 'analytics cluster postgres'}})
    expect(search.status).toBe(200)
    expect(search.body.hits[0]).toMatchObject({sessionKey: 'end-1', harness: 'claude-code', project: 'github.com/acme/api'})
    expect(search.body.hits[0].excerpt).toMatch(/analytics/i)

    const saved = await Promise.all((body.memoryIds as string[]).map(async (id) => (await daemon.request('GET', `/api/memory/${id}`)).body.memory))
    const contents = saved.map((memory) => memory.content)
    expect(contents).toContain('The staging database runs on port 5433.')
    expect(contents.some((content) => /Postgres 16 for the analytics cluster/.test(content))).toBe(true)
    expect(contents.some((content) => /prefer tabs over spaces/.test(content))).toBe(true)
    // The assistant's "remember" and the user's "do you remember when" are not requests to store.
    expect(contents.some((content) => /cannot access production/.test(content))).toBe(false)
    expect(contents.some((content) => /flaky test/.test(content))).toBe(false)
    expect(saved.every((memory) => memory.source === 'session-end' && memory.project === 'github.com/acme/api')).toBe(true)

    const memoryMd = readFileSync(path.join(daemon.workspace, 'MEMORY.md'), 'utf8')
    expect(memoryMd).toContain('Working on the payments migration.') // the user's own text is kept
    expect(memoryMd).toContain('<!-- signet:working-memory:begin')
    expect(memoryMd).toContain('Postgres 16 for the analytics cluster')
    expect(memoryMd).toMatch(/claude-code in github\.com\/acme\/api \(ended/)

    const session = await daemon.request('GET', '/api/sessions/end-1')
    expect(session.body.session.endedAt).not.toBeNull()
  })

  it('is idempotent and keeps the longest copy of a growing transcript', async () => {
    const replay = await hook('session-end', {sessionKey: 'end-1', transcript, idempotencyKey: 'end-1-a'})
    expect(replay.body).toMatchObject({deduped: true, memoriesSaved: 0})
    const shorter = await hook('session-end', {sessionKey: 'end-1', transcript: 'User: hi', idempotencyKey: 'end-1-old'})
    expect(shorter.body.deduped).toBe(true)
    const longer = await hook('session-end', {
      sessionKey: 'end-1',
      transcript: `${transcript}\n\nUser: one more thing about quokkas`,
      idempotencyKey: 'end-1-b',
    })
    expect(longer.body.deduped).toBe(false)
    const session = await daemon.request('GET', '/api/sessions/end-1')
    expect(session.body.transcripts.filter((entry: {kind: string}) => entry.kind === 'transcript')).toHaveLength(1)
    const stored = await daemon.request('GET', '/api/sessions/end-1/transcript')
    expect(stored.body.content).toContain('quokkas')
  })

  it('accepts raw Claude Code JSONL and formats it', async () => {
    const jsonl = [
      JSON.stringify({type: 'user', message: {role: 'user', content: 'Note that the kiwi cluster uses ARM nodes.'}}),
      JSON.stringify({type: 'assistant', message: {role: 'assistant', content: [{type: 'text', text: 'Understood.'}]}}),
    ].join('\n')
    const {body} = await hook('session-end', {sessionKey: 'end-2', transcript: jsonl})
    const stored = await daemon.request('GET', '/api/sessions/end-2/transcript')
    expect(stored.body.content).toBe('User: Note that the kiwi cluster uses ARM nodes.\n\nAssistant: Understood.')
    expect(body.memoriesSaved).toBe(1)
  })
})

describe('sessions and harnesses', () => {
  it('session search validates input and scopes by agent', async () => {
    const empty = await daemon.request('POST', '/api/sessions/search', {body: {query: '  '}})
    expect(empty.status).toBe(400)
    expect(empty.body.field).toBe('query')
    const otherAgent = await daemon.request('POST', '/api/sessions/search', {body: {query: 'analytics cluster', agentId: 'agent-two'}})
    expect(otherAgent.body.hits).toEqual([])
    const limit = await daemon.request('POST', '/api/sessions/search', {body: {query: 'x', limit: 500}})
    expect(limit.body.field).toBe('limit')
  })

  it('GET /api/harnesses shows each harness with its last-seen time and event', async () => {
    await daemon.request('POST', '/api/hooks/user-prompt-submit', {body: {harness: 'gemini', prompt: 'hello', machineId: 'vm-1'}})
    const {status, body} = await daemon.request('GET', '/api/harnesses')
    expect(status).toBe(200)
    const gemini = body.harnesses.find((entry: {name: string}) => entry.name === 'gemini')
    expect(gemini).toMatchObject({name: 'gemini', lastEvent: 'user-prompt-submit', known: true})
    expect(Date.now() - Date.parse(gemini.lastSeen)).toBeLessThan(60_000)
    expect(gemini.seenBy[0]).toMatchObject({agentId: 'default', machineId: 'vm-1'})
    const claude = body.harnesses.find((entry: {name: string}) => entry.name === 'claude-code')
    expect(claude.lastSeen).not.toBeNull()
  })

  it('the remember route redacts secrets too', async () => {
    const {body} = await daemon.request('POST', '/api/memory/remember', {
      body: {content: 'CI token is ghp_abcdefghijklmnopqrstuvwxyz0123456789 for the deploy bot'},
    })
    expect(body.memory.content).toBe('CI token is [REDACTED:github-token] for the deploy bot')
  })
})

describe('a new user with a handful of memories', () => {
  it('gets the relevant one injected on the prompt (bm25 alone is near zero in a tiny store)', async () => {
    const fresh = await startTestDaemon()
    try {
      await fresh.request('POST', '/api/memory/remember', {body: {content: 'The staging database listens on port 5433, not 5432'}})
      await fresh.request('POST', '/api/memory/remember', {body: {content: 'Lunch is at noon'}})
      const {body} = await fresh.request('POST', '/api/hooks/user-prompt-submit', {
        body: {harness: 'claude-code', sessionKey: 'tiny-1', prompt: 'which port does the staging database listen on?'},
      })
      expect(body.inject).toContain('port 5433')
      expect(body.inject).not.toContain('Lunch')
      const unrelated = await fresh.request('POST', '/api/hooks/user-prompt-submit', {
        body: {harness: 'claude-code', sessionKey: 'tiny-2', prompt: 'refactor the login form validation'},
      })
      expect(unrelated.body.inject).toBe('')
    } finally {
      await fresh.stop()
    }
  })
})
