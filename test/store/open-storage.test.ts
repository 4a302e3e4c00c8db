import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {parseAgentConfig} from '../../src/config/agent-config.js'
import {resolveStorageSettings} from '../../src/config/storage-settings.js'
import {describeStorage, openStorage} from '../../src/store/open-storage.js'
import {createTestDatabase, postgresCluster, postgresSkipReason, type TestDatabase} from '../helpers/postgres.js'

describe('openStorage', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'signet-open-storage-'))
  const databases: TestDatabase[] = []
  afterAll(async () => {
    for (const database of databases) await database.drop()
    rmSync(dir, {recursive: true, force: true})
  })

  it('opens the workspace SQLite file by default', async () => {
    const dbPath = path.join(dir, 'memory', 'memories.db')
    const storage = await openStorage(parseAgentConfig(''), {dbPath}, {indexInBackground: false, env: {SIGNET_DATABASE_URL: 'postgres://ignored@nowhere/x'}})
    expect(storage.backend).toBe('sqlite')
    expect(existsSync(dbPath)).toBe(true)
    expect(describeStorage(resolveStorageSettings(parseAgentConfig('')), {dbPath})).toBe(`SQLite ${dbPath}`)
    await storage.close()
  })

  it('refuses postgres without a URL before touching anything', async () => {
    await expect(openStorage(parseAgentConfig('storage:\n  backend: postgres\n'), {dbPath: path.join(dir, 'none.db')}, {env: {}})).rejects.toMatchObject({
      code: 'invalid_config',
    })
    expect(existsSync(path.join(dir, 'none.db'))).toBe(false)
  })

  it.skipIf(!postgresCluster)(`opens PostgreSQL from SIGNET_DATABASE_URL and logs where without a password ${postgresSkipReason}`, async () => {
    const database = await createTestDatabase()
    databases.push(database)
    const lines: Array<{message: string; fields?: Record<string, unknown>}> = []
    const logger = {info: (message: string, fields?: Record<string, unknown>) => lines.push({message, fields}), warn: () => {}}
    const url = database.url.replace('postgres://signet@', 'postgres://signet:not-checked-by-trust@')
    const config = parseAgentConfig('storage:\n  backend: postgres\n  url: postgres://wrong@127.0.0.1:1/nothing\n  poolSize: 3\n')
    const storage = await openStorage(config, {dbPath: path.join(dir, 'unused.db')}, {logger, env: {SIGNET_DATABASE_URL: url}})
    expect(storage.backend).toBe('postgres')
    expect(existsSync(path.join(dir, 'unused.db'))).toBe(false)
    await storage.memories.remember({agentId: 'x', content: 'stored in PostgreSQL'})
    expect(await storage.memories.count()).toBe(1)
    expect(JSON.stringify(lines)).not.toContain('not-checked-by-trust')
    expect(lines[0]).toMatchObject({
      message: 'storage: PostgreSQL',
      fields: {url: expect.stringContaining('signet:***@'), poolSize: 3, urlFrom: 'SIGNET_DATABASE_URL'},
    })
    expect(JSON.stringify(await storage.health())).not.toContain('not-checked-by-trust')
    await storage.close()
  })
})
