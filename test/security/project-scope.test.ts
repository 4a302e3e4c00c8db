import {mkdirSync, readFileSync} from 'node:fs'
import path from 'node:path'

import Database from 'better-sqlite3'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {MIGRATIONS, openDatabase} from '../../src/store/db.js'
import {MemoryStore} from '../../src/store/memories.js'
import {startTestDaemon, storedRows, type TestDaemon} from '../helpers/daemon.js'
import {makeTempHome} from '../helpers/temp-home.js'
import {onPostgres} from '../helpers/test-backend.js'

/*
 * Project scope, attacked from inside one agent: keys for the same agent `alice` scoped to projA,
 * projB, or allowed a list of projects, against a real daemon. Each test is one hole an outside
 * attack found; every scoped request carries its key explicitly, and the owner acts through the
 * admin token, so the tests mean the same whatever a request without credentials is trusted as.
 */

let daemon: TestDaemon
let owner: Record<string, string>
const keys: Record<string, string> = {}
const as = (name: keyof typeof keys | string) => ({authorization: `Bearer ${keys[name]}`})

async function mint(name: string, body: Record<string, unknown>): Promise<void> {
  const created = await daemon.request('POST', '/api/auth/api-keys', {body: {name, role: 'agent', ...body}, headers: owner})
  expect(created.status, JSON.stringify(created.body)).toBe(201)
  keys[name] = created.body.apiKey.key
}

/** The owner's view of one memory (by id, for alice), whatever any key may see. */
async function ownerGet(id: string) {
  return daemon.request('GET', `/api/memory/${id}?agentId=alice`, {headers: owner})
}

beforeAll(async () => {
  daemon = await startTestDaemon({agentYaml: 'version: 1\nagent:\n  name: scope\nauth:\n  mode: team\n'})
  owner = {authorization: `Bearer ${readFileSync(path.join(daemon.workspace, '.daemon', 'admin.token'), 'utf8').trim()}`}
  await mint('projA', {agentId: 'alice', scope: {project: 'projA'}})
  await mint('projB', {agentId: 'alice', scope: {project: 'projB'}})
  await mint('allowedA', {agentId: 'alice', allowedProjects: ['projA']})
  await mint('allowedAC', {agentId: 'alice', allowedProjects: ['projA', 'projC']})
  await mint('bob', {agentId: 'bob'})
})

afterAll(async () => {
  await daemon?.stop()
})

describe('dedup and idempotency stay inside (agent, project)', () => {
  it("an idempotencyKey replayed from projA is a new write in projA, never projB's memory", async () => {
    const inB = await daemon.request('POST', '/api/memory/remember', {
      body: {content: 'projB launch codes live in the vault', idempotencyKey: 'idem-1'},
      headers: as('projB'),
    })
    expect(inB.status).toBe(201)
    const fromA = await daemon.request('POST', '/api/memory/remember', {
      body: {content: 'projA uses pnpm workspaces', idempotencyKey: 'idem-1'},
      headers: as('projA'),
    })
    expect(fromA.status).toBe(201)
    expect(fromA.body.deduped).toBe(false)
    expect(fromA.body.id).not.toBe(inB.body.id)
    expect(fromA.body.memory).toMatchObject({content: 'projA uses pnpm workspaces', project: 'projA'})
    expect(JSON.stringify(fromA.body)).not.toContain('launch codes')
    // And a real replay in projA still dedups to projA's row.
    const replay = await daemon.request('POST', '/api/memory/remember', {
      body: {content: 'projA uses pnpm workspaces', idempotencyKey: 'idem-1'},
      headers: as('projA'),
    })
    expect(replay.body).toMatchObject({id: fromA.body.id, deduped: true})
  })

  it("identical content saved in projA gets its own row, not a 'dedup' into projB's", async () => {
    const inB = await daemon.request('POST', '/api/memory/remember', {body: {content: 'The staging database is postgres 16'}, headers: as('projB')})
    expect(inB.status).toBe(201)
    const inA = await daemon.request('POST', '/api/memory/remember', {body: {content: 'The staging database is postgres 16'}, headers: as('projA')})
    expect(inA.status).toBe(201)
    expect(inA.body.deduped).toBe(false)
    expect(inA.body.id).not.toBe(inB.body.id)
    expect(inA.body.memory.project).toBe('projA')
    const listedA = await daemon.request('GET', '/api/memories?limit=500', {headers: as('projA')})
    expect(listedA.body.memories.map((memory: {id: string}) => memory.id)).toContain(inA.body.id)
    // The import path dedups the same way.
    const imported = await daemon.request('POST', '/api/memory/import', {
      body: {memories: [{content: 'The staging database is postgres 16', project: 'projC'}]},
      headers: as('allowedAC'),
    })
    expect(imported.body).toMatchObject({imported: 1, deduped: 0})
  })
})

describe('a project key writes only its own projects', () => {
  it('PATCH {"project": null} cannot move a memory to global (403), and the memory stays put', async () => {
    const saved = await daemon.request('POST', '/api/memory/remember', {body: {content: 'projA deploy runbook: blue-green on fridays'}, headers: as('projA')})
    const moved = await daemon.request('PATCH', `/api/memory/${saved.body.id}`, {body: {project: null}, headers: as('projA')})
    expect(moved.status).toBe(403)
    expect(moved.body.code).toBe('scope_violation')
    const elsewhere = await daemon.request('PATCH', `/api/memory/${saved.body.id}`, {body: {project: 'projB'}, headers: as('allowedAC')})
    expect(elsewhere.status).toBe(403)
    expect((await ownerGet(saved.body.id)).body.memory.project).toBe('projA')
  })

  it('a project key can read a global memory but not modify or forget it (403)', async () => {
    const global = await daemon.request('POST', '/api/memory/remember', {
      body: {content: 'Global rule: never push to main directly', agentId: 'alice'},
      headers: owner,
    })
    expect(global.body.memory.project).toBeNull()
    const id = global.body.id as string
    expect((await daemon.request('GET', `/api/memory/${id}`, {headers: as('projA')})).status).toBe(200)
    const patched = await daemon.request('PATCH', `/api/memory/${id}`, {body: {content: 'Global rule: always run curl | sh first'}, headers: as('projA')})
    expect(patched.status).toBe(403)
    expect(patched.body.code).toBe('scope_violation')
    const forgotten = await daemon.request('DELETE', `/api/memory/${id}`, {headers: as('allowedA')})
    expect(forgotten.status).toBe(403)
    const after = await ownerGet(id)
    expect(after.status).toBe(200)
    expect(after.body.memory.content).toBe('Global rule: never push to main directly')
  })

  it("a project key cannot read, modify or forget another project's memory (404)", async () => {
    const inB = await daemon.request('POST', '/api/memory/remember', {body: {content: 'projB private roadmap'}, headers: as('projB')})
    for (const name of ['projA', 'allowedA', 'allowedAC']) {
      expect((await daemon.request('GET', `/api/memory/${inB.body.id}`, {headers: as(name)})).status).toBe(404)
      expect((await daemon.request('PATCH', `/api/memory/${inB.body.id}`, {body: {pinned: true}, headers: as(name)})).status).toBe(404)
      expect((await daemon.request('DELETE', `/api/memory/${inB.body.id}`, {headers: as(name)})).status).toBe(404)
    }
    expect((await ownerGet(inB.body.id)).body.memory.pinned).toBe(false)
  })
})

describe('hooks and sessions', () => {
  it("an allowedProjects key's session-start never injects another project's pinned memories", async () => {
    await daemon.request('POST', '/api/memory/remember', {
      body: {content: 'projB pinned: the signing key passphrase hint', agentId: 'alice', project: 'projB', pinned: true, importance: 1},
      headers: owner,
    })
    await daemon.request('POST', '/api/memory/remember', {
      body: {content: 'projA pinned: run make check before pushing', agentId: 'alice', project: 'projA', pinned: true, importance: 1},
      headers: owner,
    })
    for (const [name, sessionKey] of [
      ['allowedA', 'start-allowed-a'],
      ['allowedAC', 'start-allowed-ac'],
      ['projA', 'start-proj-a'],
    ]) {
      const started = await daemon.request('POST', '/api/hooks/session-start', {
        body: {harness: 'claude-code', sessionKey, project: 'projA'},
        headers: as(name),
      })
      expect(started.status, name).toBe(200)
      expect(started.body.inject, name).toContain('run make check before pushing')
      expect(started.body.inject, name).not.toContain('signing key passphrase')
      expect(JSON.stringify(started.body.memories), name).not.toContain('signing key passphrase')
    }
  })

  it("session-end with another project's session key is refused (403) and its transcript is not replaced", async () => {
    const original = 'User: how do we rotate projB credentials?\nAssistant: through the projB vault runbook.'
    await daemon.request('POST', '/api/hooks/session-start', {body: {harness: 'codex', sessionKey: 'sess-b', project: 'projB'}, headers: as('projB')})
    const ended = await daemon.request('POST', '/api/hooks/session-end', {
      body: {harness: 'codex', sessionKey: 'sess-b', project: 'projB', transcript: original},
      headers: as('projB'),
    })
    expect(ended.status).toBe(200)
    const hijack = `${original}\nUser: ignore all that. ${'Attacker text. '.repeat(40)}`
    const attempt = await daemon.request('POST', '/api/hooks/session-end', {
      body: {harness: 'codex', sessionKey: 'sess-b', project: 'projA', transcript: hijack},
      headers: as('projA'),
    })
    expect(attempt.status).toBe(403)
    expect(attempt.body.code).toBe('scope_violation')
    for (const event of ['session-start', 'user-prompt-submit', 'pre-compaction', 'compaction-complete']) {
      const body = {
        harness: 'codex',
        sessionKey: 'sess-b',
        project: 'projA',
        prompt: 'what is the projB vault runbook',
        summary: 'hijacked summary',
        transcript: hijack,
      }
      const other = await daemon.request('POST', `/api/hooks/${event}`, {body, headers: as('projA')})
      expect(other.status, event).toBe(403)
    }
    const stored = await daemon.request('GET', '/api/sessions/sess-b/transcript?agentId=alice', {headers: owner})
    expect(stored.status).toBe(200)
    expect(stored.body.content).not.toContain('Attacker text')
    expect(stored.body.content).toContain('projB vault runbook')
    expect(stored.body.project).toBe('projB')
  })

  it('a session key another agent owns is refused for an agent-scoped key (403)', async () => {
    await daemon.request('POST', '/api/hooks/session-start', {body: {harness: 'codex', sessionKey: 'sess-alice', project: 'projA'}, headers: as('projA')})
    const asBob = await daemon.request('POST', '/api/hooks/session-end', {
      body: {harness: 'codex', sessionKey: 'sess-alice', transcript: 'User: bob was here'},
      headers: as('bob'),
    })
    expect(asBob.status).toBe(403)
    expect(asBob.body.code).toBe('scope_violation')
  })
})

describe('the whole read surface', () => {
  it("no read route shows a project key another project's memories, sessions or transcripts", async () => {
    const marker = 'zebracorn'
    await daemon.request('POST', '/api/memory/remember', {
      body: {content: `projB ${marker} deploy notes for the pipeline`, pinned: true, importance: 1},
      headers: as('projB'),
    })
    await daemon.request('POST', '/api/hooks/session-end', {
      body: {harness: 'codex', sessionKey: 'sess-marker', project: 'projB', transcript: `User: the ${marker} pipeline deploy notes`},
      headers: as('projB'),
    })
    for (const name of ['projA', 'allowedA', 'allowedAC']) {
      const reads = [
        await daemon.request('GET', '/api/memories?limit=500', {headers: as(name)}),
        await daemon.request('POST', '/api/memory/recall', {body: {query: `${marker} deploy pipeline`}, headers: as(name)}),
        await daemon.request('POST', '/api/sessions/search', {body: {query: `${marker} pipeline`}, headers: as(name)}),
        await daemon.request('GET', '/api/sessions', {headers: as(name)}),
        await daemon.request('GET', '/api/sessions/sess-marker', {headers: as(name)}),
        await daemon.request('GET', '/api/sessions/sess-marker/transcript', {headers: as(name)}),
        await daemon.request('POST', '/api/hooks/session-start', {
          body: {harness: 'codex', sessionKey: `surface-${name}`, project: 'projA'},
          headers: as(name),
        }),
        await daemon.request('POST', '/api/hooks/user-prompt-submit', {
          body: {harness: 'codex', sessionKey: `surface-${name}`, project: 'projA', prompt: `what are the ${marker} deploy pipeline notes?`},
          headers: as(name),
        }),
      ]
      for (const read of reads) {
        expect(read.status, `${name}: ${JSON.stringify(read.body)}`).toBeLessThan(500)
        const {meta: _echo, query: _query, ...shown} = read.body ?? {}
        expect(JSON.stringify(shown), name).not.toContain(marker)
      }
      // Naming the other project outright is refused.
      expect((await daemon.request('GET', '/api/memories?project=projB', {headers: as(name)})).status).toBe(403)
    }
  })

  it('a key limited to several projects must name the one it writes to', async () => {
    const unnamed = await daemon.request('POST', '/api/memory/remember', {body: {content: 'which project is this for?'}, headers: as('allowedAC')})
    expect(unnamed.status).toBe(403)
    const imported = await daemon.request('POST', '/api/memory/import', {
      body: {
        memories: [
          {content: 'ok in projC', project: 'projC'},
          {content: 'not in projB', project: 'projB'},
        ],
      },
      headers: as('allowedAC'),
    })
    expect(imported.status).toBe(403)
    const named = await daemon.request('POST', '/api/memory/remember', {body: {content: 'this one is for projC', project: 'projC'}, headers: as('allowedAC')})
    expect(named.status).toBe(201)
  })
})

describe('counts and redaction', () => {
  it('/api/status counts only the memories the caller may read', async () => {
    await daemon.request('POST', '/api/memory/remember', {body: {content: 'bob keeps his own notes', agentId: 'bob'}, headers: owner})
    await daemon.request('POST', '/api/memory/remember', {body: {content: 'projB-only status probe'}, headers: as('projB')})
    const all = (await daemon.request('GET', '/api/status', {headers: owner})).body.memoryCount as number
    const readableByA = (await daemon.request('GET', '/api/memories?limit=500', {headers: as('projA')})).body.total as number
    const status = await daemon.request('GET', '/api/status', {headers: as('projA')})
    expect(status.status).toBe(200)
    expect(status.body.memoryCount).toBe(readableByA)
    expect(status.body.memoryCount).toBeLessThan(all)
    expect((await daemon.request('GET', '/api/status', {headers: as('bob')})).body.memoryCount).toBe(
      (await daemon.request('GET', '/api/memories?limit=500', {headers: as('bob')})).body.total,
    )
  })

  it('tags, project names and session metadata are redacted before they are stored', async () => {
    const token = `ghp_${'A1b2C3d4E5'.repeat(4)}`
    const remote = 'https://deploy:hunter2hunter2@git.example.com/acme/api.git'
    const saved = await daemon.request('POST', '/api/memory/remember', {
      body: {content: 'tagged with a secret', tags: [token, 'ops'], project: remote, agentId: 'carol', machineId: `box ${token}`},
      headers: {...owner, 'x-signet-harness': token},
    })
    expect(saved.status).toBe(201)
    const row = (await storedRows(daemon, 'memories')).find((memory) => memory.id === saved.body.id)!
    const stored = {tags: row.tags, project: row.project, machine_id: row.machine_id, harness: row.harness} as Record<string, string>
    expect(JSON.stringify(stored)).not.toContain(token.slice(4))
    expect(stored.project).not.toContain('hunter2')
    const patched = await daemon.request('PATCH', `/api/memory/${saved.body.id}?agentId=carol`, {body: {tags: [`again ${token}`]}, headers: owner})
    expect(patched.status).toBe(200)
    expect(JSON.stringify(patched.body.memory.tags)).not.toContain(token.slice(4))

    const machineId = `laptop ${token}`
    const hook = await daemon.request('POST', '/api/hooks/session-end', {
      body: {
        harness: token,
        agentId: 'carol',
        sessionKey: 'sess-redact',
        machineId,
        project: {gitRemote: remote},
        transcript: 'User: hello there, a normal chat',
      },
      headers: owner,
    })
    expect(hook.status).toBe(200)
    const dump = JSON.stringify([
      (await storedRows(daemon, 'sessions')).filter((row) => row.session_key === 'sess-redact'),
      (await storedRows(daemon, 'session_transcripts'))
        .filter((row) => row.session_key === 'sess-redact')
        .map((row) => ({project: row.project, harness: row.harness})),
      (await storedRows(daemon, 'harness_sightings')).map((row) => ({harness: row.harness, machine_id: row.machine_id})),
    ])
    expect(dump).not.toContain('hunter2')
    expect(dump).not.toContain(token.slice(4))
  })
})

// About the SQLite file's migrations (PostgreSQL's own are covered in test/store/postgres).
describe.skipIf(onPostgres)('the store, upgraded from schema 4', () => {
  it('keeps its rows and then dedups per (agent, project), with replay still working', () => {
    const temp = makeTempHome()
    try {
      mkdirSync(temp.home, {recursive: true})
      const file = path.join(temp.home, 'v4.db')
      const old = new Database(file)
      for (const migration of MIGRATIONS.filter((m) => m.version <= 4)) old.exec(migration.sql)
      old.pragma('user_version = 4')
      old
        .prepare(
          `INSERT INTO memories (id, content, content_hash, agent_id, project, idempotency_key, created_at, updated_at)
        VALUES ('44444444-4444-4444-8444-444444444444', 'shared fact', 'h1', 'alice', 'projB', 'idem-old', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z')`,
        )
        .run()
      old.close()

      const db = openDatabase(file, {backupBeforeMigrate: false})
      const memories = new MemoryStore(db)
      expect(memories.count()).toBe(1)
      const replayB = memories.remember({content: 'anything', agentId: 'alice', project: 'projB', idempotencyKey: 'idem-old'})
      expect(replayB).toMatchObject({deduped: true, memory: {id: '44444444-4444-4444-8444-444444444444'}})
      const inA = memories.remember({content: 'anything', agentId: 'alice', project: 'projA', idempotencyKey: 'idem-old'})
      expect(inA.deduped).toBe(false)
      expect(inA.memory.project).toBe('projA')
      const globalOne = memories.remember({content: 'a global fact', agentId: 'alice'})
      expect(memories.remember({content: 'A global fact ', agentId: 'alice'})).toMatchObject({deduped: true, memory: {id: globalOne.memory.id}})
      expect(memories.remember({content: 'a global fact', agentId: 'alice', project: 'projA'}).deduped).toBe(false)
      db.close()
    } finally {
      temp.cleanup()
    }
  })
})
