import Database from 'better-sqlite3'
import {afterEach, describe, expect, it} from 'vitest'

import {initWorkspace} from '../../src/config/workspace.js'
import {workspacePaths} from '../../src/config/paths.js'
import {makeTempHome, type TempHome} from '../helpers/temp-home.js'
import {spawnDaemon, type SpawnedDaemon} from './support/spawned-daemon.js'
import {startWriteLoad, type AckedWrite} from './support/write-load.js'

/** Kill rounds in the default suite; SIGNET_DURABILITY_KILLS=20 for a long local run. */
const KILLS = Number(process.env.SIGNET_DURABILITY_KILLS ?? 3)
const CLIENTS = 6

let temp: TempHome | undefined
let daemon: SpawnedDaemon | undefined

afterEach(async () => {
  await daemon?.kill('SIGKILL')
  daemon = undefined
  temp?.cleanup()
  temp = undefined
})

/** Open the database the way the next daemon will after the crash (no daemon is running now). */
function inspect(dbPath: string, acked: AckedWrite[]) {
  const db = new Database(dbPath)
  try {
    const integrity = db.pragma('integrity_check', {simple: true})
    // FTS5's own check, rank 1 = also against the content table: the index matches memories row for row.
    db.prepare("INSERT INTO memories_fts(memories_fts, rank) VALUES ('integrity-check', 1)").run()
    const byId = db.prepare('SELECT content, agent_id FROM memories WHERE id = ? AND deleted_at IS NULL')
    const missing = acked.filter((write) => {
      const row = byId.get(write.id) as {content: string; agent_id: string} | undefined
      return !row || row.content !== write.content || row.agent_id !== write.agentId
    })
    const rows = (db.prepare('SELECT count(*) AS n FROM memories').get() as {n: number}).n
    return {integrity, missing, rows}
  } finally {
    db.close()
  }
}

describe('durability: SIGKILL mid-stream', () => {
  it(
    `every acknowledged write survives ${KILLS} SIGKILLs of a daemon under ${CLIENTS} concurrent writers`,
    async () => {
      temp = makeTempHome()
      initWorkspace(temp.workspace)
      const dbPath = workspacePaths(temp.workspace).dbPath
      const acked: AckedWrite[] = []
      let sent = 0
      let unanswered = 0
      for (let round = 0; round < KILLS; round++) {
        daemon = await spawnDaemon({workspace: temp.workspace, env: temp.env})
        const owner = daemon.ownerHeaders()
        const load = startWriteLoad({url: daemon.url, headers: () => owner, clients: CLIENTS, stopWhenUnanswered: true})
        // Kill at a slightly different point each round, always with requests in flight.
        await load.ackedAtLeast(120 + round * 37)
        await new Promise((resolve) => setTimeout(resolve, round * 7))
        const exit = await daemon.kill('SIGKILL')
        expect(exit.signal).toBe('SIGKILL')
        daemon = undefined
        const result = await load.done
        expect(Object.fromEntries(result.refusals), 'the daemon refused writes before it was killed').toEqual({})
        acked.push(...result.acked)
        sent += result.sent
        unanswered += result.unanswered

        const after = inspect(dbPath, acked)
        expect(after.integrity).toBe('ok')
        expect(
          after.missing.map((write) => write.id),
          'acknowledged writes lost by SIGKILL',
        ).toEqual([])
        // In-flight writes that were never acknowledged may have committed or not, but nothing else appears.
        expect(after.rows).toBeGreaterThanOrEqual(acked.length)
        expect(after.rows).toBeLessThanOrEqual(acked.length + unanswered)
      }

      // A restart takes over the dead daemon's lock and serves every acknowledged write.
      daemon = await spawnDaemon({workspace: temp.workspace, env: temp.env})
      const status = (await (await fetch(`${daemon.url}/api/status`, {headers: daemon.ownerHeaders()})).json()) as {memoryCount: number}
      expect(status.memoryCount).toBeGreaterThanOrEqual(acked.length)
      for (const write of acked.filter((_, index) => index % 50 === 0)) {
        const token = write.content.match(/token (\w+)/)![1]
        const recall = (await (
          await fetch(`${daemon.url}/api/memory/recall`, {
            method: 'POST',
            headers: daemon.ownerHeaders({'content-type': 'application/json'}),
            body: JSON.stringify({query: token, limit: 3}),
          })
        ).json()) as {results: Array<{id: string}>}
        expect(recall.results.map((row: {id: string}) => row.id)).toContain(write.id)
      }
      // A replay of an acknowledged write (client retry after the crash) is deduplicated, not doubled.
      const replay = await fetch(`${daemon.url}/api/memory/remember`, {
        method: 'POST',
        headers: daemon.ownerHeaders({'content-type': 'application/json'}),
        body: JSON.stringify({content: acked[0].content}),
      })
      expect(replay.status).toBe(200)
      expect(((await replay.json()) as {id: string}).id).toBe(acked[0].id)
      console.info(
        `sigkill durability: ${KILLS} kills, ${sent} writes sent, ${acked.length} acknowledged, ${unanswered} cut off by the kill, 0 lost, integrity ok`,
      )
    },
    Math.max(30_000, KILLS * 6000),
  )
})
