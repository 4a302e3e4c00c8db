import {createHash} from 'node:crypto'
import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'

import Database from 'better-sqlite3'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {workspacePaths} from '../../src/config/paths.js'
import {initWorkspace} from '../../src/config/workspace.js'
import {LATEST_SCHEMA_VERSION, MIGRATIONS} from '../../src/store/db.js'
import {freePort, runCli} from '../helpers/cli.js'
import {makeTempHome, type TempHome} from '../helpers/temp-home.js'

let temp: TempHome
let env: NodeJS.ProcessEnv
let dbPath: string

beforeEach(async () => {
  temp = makeTempHome()
  initWorkspace(temp.workspace)
  env = {...temp.env, SIGNET_WORKSPACE: temp.workspace, SIGNET_PORT: String(await freePort())}
  dbPath = workspacePaths(temp.workspace).dbPath
})

afterEach(async () => {
  await runCli(['daemon', 'stop'], {env})
  // If the CLI could not stop it (e.g. dist/ was being rebuilt), do not leave our daemon behind.
  try {
    process.kill(Number.parseInt(readFileSync(workspacePaths(temp.workspace).pidFile, 'utf8'), 10), 'SIGKILL')
  } catch {
    // no pid file, or already gone
  }
  temp.cleanup()
})

const OLD_MEMORIES = [
  {id: '11111111-1111-4111-8111-111111111111', content: 'The release train leaves every second Tuesday', tags: '["release"]'},
  {id: '22222222-2222-4222-8222-222222222222', content: 'Staging Postgres listens on port 5433', tags: '["infra","db"]'},
  {id: '33333333-3333-4333-8333-333333333333', content: 'Use pnpm, never npm, in the web repo', tags: '[]'},
]

/** A database exactly as the first released schema left it: migration 1 only, with data. */
function createVersionOneDatabase(journalMode: 'wal' | 'delete'): void {
  const db = new Database(dbPath)
  db.pragma(`journal_mode = ${journalMode}`)
  db.exec(MIGRATIONS[0].sql)
  db.pragma(`user_version = ${MIGRATIONS[0].version}`)
  const insert = db.prepare(`INSERT INTO memories (id, content, content_hash, tags, agent_id, created_at, updated_at)
    VALUES (@id, @content, @hash, @tags, 'default', '2024-03-01T10:00:00.000Z', '2024-03-01T10:00:00.000Z')`)
  for (const memory of OLD_MEMORIES) insert.run({...memory, hash: createHash('sha256').update(memory.content).digest('hex')})
  db.close()
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex')
const memoryDirListing = () => readdirSync(path.dirname(dbPath)).sort()

describe('schema upgrades through `signet daemon start`', () => {
  it('a v1 database is backed up, migrated forward, and keeps every memory', async () => {
    createVersionOneDatabase('wal')
    const start = await runCli(['daemon', 'start', '--json'], {env})
    expect(start.stderr).toBe('')
    expect(start.code).toBe(0)
    const {url} = JSON.parse(start.stdout)
    // Over TCP the owner shows the admin token this start wrote.
    const owner = {authorization: `Bearer ${readFileSync(workspacePaths(temp.workspace).adminTokenFile, 'utf8').trim()}`}

    const list = (await (await fetch(`${url}/api/memories?limit=50`, {headers: owner})).json()) as {memories: Array<{id: string}>}
    expect(list.memories.map((m: {id: string}) => m.id).sort()).toEqual(OLD_MEMORIES.map((m) => m.id).sort())
    const recall = (await (
      await fetch(`${url}/api/memory/recall`, {
        method: 'POST',
        headers: {...owner, 'content-type': 'application/json'},
        body: JSON.stringify({query: 'which port does staging postgres use'}),
      })
    ).json()) as {results: Array<{id: string}>}
    expect(recall.results[0].id).toBe(OLD_MEMORIES[1].id)
    // The new schema is usable: a v2 table answers and a new write lands beside the old ones.
    const saved = await fetch(`${url}/api/memory/remember`, {
      method: 'POST',
      headers: {...owner, 'content-type': 'application/json'},
      body: JSON.stringify({content: 'written after the upgrade'}),
    })
    expect(saved.status).toBe(201)
    await runCli(['daemon', 'stop'], {env})

    const backups = memoryDirListing().filter((name) => /^memories\.db\.backup-v1-\d+$/.test(name))
    expect(backups, `backup next to the database: ${memoryDirListing().join(', ')}`).toHaveLength(1)
    const backup = new Database(path.join(path.dirname(dbPath), backups[0]), {readonly: true})
    try {
      expect(backup.pragma('user_version', {simple: true})).toBe(1)
      expect(backup.pragma('integrity_check', {simple: true})).toBe('ok')
      expect((backup.prepare('SELECT id, content FROM memories ORDER BY id').all() as Array<{id: string}>).map((row) => row.id)).toEqual(
        OLD_MEMORIES.map((m) => m.id),
      )
      // Taken before the migration: nothing from v2 is in it.
      expect(backup.prepare("SELECT name FROM sqlite_master WHERE name = 'api_keys'").get()).toBeUndefined()
    } finally {
      backup.close()
    }
    const upgraded = new Database(dbPath, {readonly: true})
    try {
      expect(upgraded.pragma('user_version', {simple: true})).toBe(LATEST_SCHEMA_VERSION)
      expect(upgraded.pragma('integrity_check', {simple: true})).toBe('ok')
      expect((upgraded.prepare('SELECT count(*) AS n FROM memories').get() as {n: number}).n).toBe(OLD_MEMORIES.length + 1)
    } finally {
      upgraded.close()
    }

    // A second start finds nothing to migrate and takes no second backup.
    expect((await runCli(['daemon', 'start'], {env})).code).toBe(0)
    await runCli(['daemon', 'stop'], {env})
    expect(memoryDirListing().filter((name) => name.includes('.backup-'))).toHaveLength(1)
  })

  it.each(['wal', 'delete'] as const)('a newer-than-known schema (%s journal) is refused with a clear message and left byte for byte', async (journalMode) => {
    createVersionOneDatabase(journalMode)
    const db = new Database(dbPath)
    db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 7}`)
    db.close()
    const before = sha256(dbPath)
    const listingBefore = memoryDirListing()

    const start = await runCli(['daemon', 'start'], {env})
    expect(start.code).toBe(1)
    expect(start.stderr).toMatch(new RegExp(`schema version ${LATEST_SCHEMA_VERSION + 7}, newer than this Signet understands \\(${LATEST_SCHEMA_VERSION}\\)`))
    expect(start.stderr).toMatch(/upgrade signetai/)
    expect(start.stderr).toMatch(/not modified/)
    expect(sha256(dbPath)).toBe(before)
    expect(memoryDirListing()).toEqual(listingBefore)
    const status = JSON.parse((await runCli(['daemon', 'status', '--json'], {env})).stdout)
    expect(status.running).toBe(false)
  })
})
