import {afterEach, describe, expect, it} from 'vitest'

import Database from 'better-sqlite3'

import {LATEST_SCHEMA_VERSION} from '../../src/store/db.js'
import {checkDatabaseIntegrity} from '../../src/store/sqlite/integrity.js'
import {startTestDaemon, type TestDaemon} from '../helpers/daemon.js'

let daemon: TestDaemon | undefined

afterEach(async () => {
  await daemon?.stop()
  daemon = undefined
})

describe('GET /api/diagnostics/db', () => {
  it('runs PRAGMA quick_check inside the daemon for an admin caller', async () => {
    daemon = await startTestDaemon()
    const response = await daemon.request('GET', '/api/diagnostics/db')
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({
      ok: true,
      problems: [],
      schemaVersion: LATEST_SCHEMA_VERSION,
      latestSchemaVersion: LATEST_SCHEMA_VERSION,
      journalMode: 'wal',
      checkedBy: 'daemon',
    })
    expect(response.body.sizeBytes).toBeGreaterThan(0)
    expect(response.body.pagesChecked).toBe(true)
  })

  it('reads every page only when asked, or when the file is small enough to be quick', async () => {
    daemon = await startTestDaemon()
    expect((await daemon.request('GET', '/api/diagnostics/db?pages=false')).body).toMatchObject({ok: true, pagesChecked: false})
    expect((await daemon.request('GET', '/api/diagnostics/db?pages=true')).body).toMatchObject({ok: true, pagesChecked: true})
    const bad = await daemon.request('GET', '/api/diagnostics/db?pages=maybe')
    expect(bad.status).toBe(400)
    expect(bad.body.error).toContain('pages')

    // 'auto' against the size limit, on a real file
    const dbPath = daemon.context.paths.dbPath
    const file = new Database(dbPath, {readonly: true})
    try {
      expect(checkDatabaseIntegrity(file, dbPath, 'read-only file', {quickCheck: 'auto'}).pagesChecked).toBe(true)
      const large = checkDatabaseIntegrity(file, dbPath, 'read-only file', {quickCheck: 'auto', autoMaxBytes: 1024})
      expect(large).toMatchObject({ok: true, pagesChecked: false})
    } finally {
      file.close()
    }
  })

  it('is admin only: an agent key gets 403, no key over TCP gets 401', async () => {
    daemon = await startTestDaemon({agentYaml: 'auth:\n  mode: hybrid\n'})
    const created = await daemon.request('POST', '/api/auth/api-keys', {body: {name: 'laptop', role: 'agent'}})
    expect(created.status).toBe(201)
    const agentKey = created.body.apiKey.key as string
    const refused = await daemon.request('GET', '/api/diagnostics/db', {headers: {authorization: `Bearer ${agentKey}`}})
    expect(refused.status).toBe(403)
    expect(refused.body.code).toBe('permission_denied')
    await daemon.stop()

    daemon = await startTestDaemon({agentYaml: 'auth:\n  mode: team\n'})
    const anonymous = await daemon.request('GET', '/api/diagnostics/db', {via: 'tcp'})
    expect(anonymous.status).toBe(401)
  })
})
