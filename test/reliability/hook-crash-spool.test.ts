import {spawn} from 'node:child_process'
import {readdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import Database from 'better-sqlite3'
import {afterEach, describe, expect, it} from 'vitest'

import {workspacePaths} from '../../src/config/paths.js'
import {initWorkspace} from '../../src/config/workspace.js'
import {freePort, RUN_JS, runCli} from '../helpers/cli.js'
import {makeTempHome, type TempHome} from '../helpers/temp-home.js'
import {spawnDaemon, type SpawnedDaemon} from './support/spawned-daemon.js'

/** Session-end hooks in flight when the daemon dies; SIGNET_HOOK_CRASH_SESSIONS raises the count. */
const SESSIONS = Number(process.env.SIGNET_HOOK_CRASH_SESSIONS ?? 16)
const CONCURRENCY = 4

let temp: TempHome | undefined
let daemon: SpawnedDaemon | undefined

afterEach(async () => {
  await daemon?.kill('SIGKILL')
  daemon = undefined
  temp?.cleanup()
  temp = undefined
})

function sessionEnd(env: NodeJS.ProcessEnv, sessionId: string, transcriptPath: string): Promise<{code: number | null; stderr: string}> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [RUN_JS, 'hook', 'session-end', '-H', 'claude-code'], {env, stdio: ['pipe', 'ignore', 'pipe']})
    let stderr = ''
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('close', (code) => resolve({code, stderr}))
    child.stdin.end(JSON.stringify({session_id: sessionId, transcript_path: transcriptPath, cwd: env.HOME, hook_event_name: 'SessionEnd', reason: 'exit'}))
  })
}

describe('hook writes across a daemon crash', () => {
  it(
    `${SESSIONS} session-end hooks, daemon SIGKILLed midway: every transcript stored exactly once after restart + sync`,
    async () => {
      temp = makeTempHome('signet-hookcrash-')
      initWorkspace(temp.workspace)
      const port = await freePort()
      // No SIGNET_DAEMON_URL: hooks and sync reach the workspace daemon by its socket.
      const env = {...temp.env}
      daemon = await spawnDaemon({workspace: temp.workspace, env: temp.env, port})

      const sessions = Array.from({length: SESSIONS}, (_, index) => `crash-session-${index}`)
      for (const [index, session] of sessions.entries()) {
        writeFileSync(
          path.join(temp.home, `${session}.jsonl`),
          [
            {type: 'user', message: {role: 'user', content: `Session ${index}: we moved the nightly export to the ${session} queue.`}},
            {type: 'assistant', message: {role: 'assistant', content: [{type: 'text', text: `Understood, session ${index}.`}]}},
          ]
            .map((line) => JSON.stringify(line))
            .join('\n') + '\n',
        )
      }

      let next = 0
      let finished = 0
      let killed = false
      const outcomes: Array<{code: number | null; stderr: string}> = []
      await Promise.all(
        Array.from({length: CONCURRENCY}, async () => {
          while (next < sessions.length) {
            const session = sessions[next++]
            outcomes.push(await sessionEnd(env, session, path.join(temp!.home, `${session}.jsonl`)))
            // Kill with hooks still running: some deliver, some are cut off, the rest find no daemon.
            if (++finished === Math.floor(SESSIONS / 3) && !killed) {
              killed = true
              await daemon!.kill('SIGKILL')
            }
          }
        }),
      )
      expect(outcomes.map((outcome) => outcome.code)).toEqual(sessions.map(() => 0))
      const spooled = readdirSync(path.join(temp.home, '.config', 'signet', 'spool')).filter((name) => name.endsWith('.json')).length
      expect(spooled, 'the hooks that found no daemon spooled their transcripts').toBeGreaterThan(0)

      daemon = await spawnDaemon({workspace: temp.workspace, env: temp.env, port})
      const sync = await runCli(['sync', '--json'], {env})
      expect(sync.code, sync.stderr).toBe(0)
      expect(JSON.parse(sync.stdout)).toMatchObject({rejected: 0, remaining: 0})
      // Replaying again delivers nothing new: idempotency keys make the replay exactly-once.
      expect((await runCli(['sync', '--json'], {env})).code).toBe(0)
      await daemon.kill('SIGTERM')
      daemon = undefined

      const db = new Database(workspacePaths(temp.workspace).dbPath, {readonly: true})
      try {
        expect(db.pragma('integrity_check', {simple: true})).toBe('ok')
        const rows = db.prepare("SELECT session_key, count(*) AS n FROM session_transcripts WHERE kind = 'transcript' GROUP BY session_key").all() as Array<{
          session_key: string
          n: number
        }>
        const stored = Object.fromEntries(rows.map((row) => [row.session_key, row.n]))
        expect(stored).toEqual(Object.fromEntries(sessions.map((session) => [session, 1])))
      } finally {
        db.close()
      }
      console.info(
        `hook crash: ${SESSIONS} session-end hooks, 1 SIGKILL after ${Math.floor(SESSIONS / 3)}, ${spooled} spooled and replayed, every transcript stored exactly once`,
      )
    },
    Math.max(30_000, SESSIONS * 1500),
  )
})
