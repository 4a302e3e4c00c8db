import path from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {openDatabase, type SqliteDatabase} from '../../src/store/db.js'
import {PresenceStore} from '../../src/store/presence.js'
import {makeTempHome, type TempHome} from '../helpers/temp-home.js'

let temp: TempHome | undefined
let db: SqliteDatabase | undefined

afterEach(() => {
  db?.close()
  temp?.cleanup()
})

describe('presence on a real SQLite file', () => {
  it('online → idle → offline with time; a new hook brings it back; session-end is offline at once', () => {
    temp = makeTempHome()
    db = openDatabase(path.join(temp.home, 'presence.db'))
    const presence = new PresenceStore(db, {idleAfterMs: 60_000, offlineAfterMs: 600_000})
    const start = new Date('2026-01-01T10:00:00Z')
    presence.see({agentId: 'codex-b', harness: 'codex', machineId: 'laptop', sessionKey: 's1', project: 'github.com/acme/api', event: 'session-start'}, start)
    const at = (ms: number) => presence.list({}, start.getTime() + ms)[0]
    expect(at(1000)).toMatchObject({agent: 'codex-b', harness: 'codex', machine: 'laptop', session: 's1', project: 'github.com/acme/api', status: 'online'})
    expect(at(120_000).status).toBe('idle')
    expect(at(700_000).status).toBe('offline')
    presence.see(
      {agentId: 'codex-b', harness: 'codex', machineId: 'laptop', sessionKey: 's1', event: 'user-prompt-submit'},
      new Date(start.getTime() + 700_000),
    )
    expect(at(701_000)).toMatchObject({status: 'online', project: 'github.com/acme/api', lastEvent: 'user-prompt-submit'})
    presence.see({agentId: 'codex-b', harness: 'codex', machineId: 'laptop', sessionKey: 's1', event: 'session-end'}, new Date(start.getTime() + 702_000))
    expect(at(702_500).status).toBe('offline')
    expect(presence.agentOfSession('s1')).toEqual({agent: 'codex-b', project: 'github.com/acme/api'})
    expect(presence.projectsOf('codex-b')).toEqual(['github.com/acme/api'])
  })
})
