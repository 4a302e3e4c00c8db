import {copyFileSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import Database from 'better-sqlite3'
import {afterEach, describe, expect, it} from 'vitest'

import {workspacePaths} from '../../src/config/paths.js'
import {initWorkspace} from '../../src/config/workspace.js'
import {runCli} from '../helpers/cli.js'
import {runHook} from '../hooks/support/run-hook.js'
import {makeTempHome, type TempHome} from '../helpers/temp-home.js'
import {spawnDaemon, type SpawnedDaemon} from './support/spawned-daemon.js'

// SQLite keeps writing to a database file that was deleted or renamed over while it is open: the
// daemon used to answer 201 to every write, doctor said healthy, and the next start had lost them.

let temp: TempHome | undefined
let daemon: SpawnedDaemon | undefined

afterEach(async () => {
  await daemon?.kill('SIGTERM')
  daemon = undefined
  temp?.cleanup()
  temp = undefined
})

async function call(method: string, path: string, body?: unknown): Promise<{status: number; body: any}> {
  const token = readFileSync(workspacePaths(temp!.workspace).adminTokenFile, 'utf8').trim()
  const response = await fetch(`${daemon!.url}${path}`, {
    method,
    headers: {authorization: `Bearer ${token}`, ...(body === undefined ? {} : {'content-type': 'application/json'})},
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  return {status: response.status, body: text ? JSON.parse(text) : undefined}
}

function storedContents(dbPath: string): string[] {
  const db = new Database(dbPath, {readonly: true})
  try {
    return (db.prepare('SELECT content FROM memories WHERE deleted_at IS NULL ORDER BY seq').all() as Array<{content: string}>).map((row) => row.content)
  } finally {
    db.close()
  }
}

async function start(port?: number): Promise<{env: NodeJS.ProcessEnv}> {
  daemon = await spawnDaemon({workspace: temp!.workspace, env: {...temp!.env, SIGNET_WORKSPACE: temp!.workspace}, port})
  return {env: {...temp!.env, SIGNET_WORKSPACE: temp!.workspace, SIGNET_PORT: String(daemon.port)}}
}

/** What a lost database looks like from outside: writes refused, health degraded, doctor failing. */
async function expectRefusedLoudly(env: NodeJS.ProcessEnv, kind: 'deleted' | 'replaced') {
  const write = await call('POST', '/api/memory/remember', {content: `written after the file was ${kind}`})
  expect(write.status).toBe(503)
  expect(write.body).toMatchObject({code: 'database_replaced'})
  expect(write.body.error).toMatch(/deleted or replaced under the running daemon.*restart/)

  const health = await call('GET', '/health')
  expect(health.body).toMatchObject({status: 'degraded', database: {status: kind, code: 'database_replaced'}})
  const status = await call('GET', '/api/status')
  expect(status.body).toMatchObject({status: 'degraded', database: {status: kind, code: 'database_replaced'}})

  const doctor = await runCli(['doctor', '--json'], {env})
  expect(doctor.code).toBe(1)
  const finding = JSON.parse(doctor.stdout).findings.find((entry: {code: string}) => entry.code === 'db_file_replaced')
  expect(finding).toMatchObject({level: 'error', fix: expect.stringMatching(/signet daemon restart/)})

  const log = readFileSync(workspacePaths(temp!.workspace).logFile, 'utf8')
  expect(log).toMatch(new RegExp(`ERROR database file lost kind=${kind}`))
  expect(log).toMatch(/ERROR write refused: database file deleted or replaced method=POST path=\/api\/memory\/remember/)
}

describe('a database file deleted or replaced under the running daemon', () => {
  it('deleted: writes are refused with 503 database_replaced, health and doctor say so, nothing is acknowledged into the void', async () => {
    temp = makeTempHome()
    initWorkspace(temp.workspace)
    const {dbPath} = workspacePaths(temp.workspace)
    const {env} = await start()
    expect((await call('POST', '/api/memory/remember', {content: 'written before anything went wrong'})).status).toBe(201)

    for (const suffix of ['', '-wal', '-shm']) rmSync(dbPath + suffix, {force: true})
    await expectRefusedLoudly(env, 'deleted')

    // A restart opens (creates) the file now at the path, and writes are accepted and kept again.
    await daemon!.kill('SIGTERM')
    const restarted = await start()
    expect((await call('GET', '/health')).body.status).toBe('ok')
    expect((await call('POST', '/api/memory/remember', {content: 'written after the restart'})).status).toBe(201)
    await daemon!.kill('SIGTERM')
    daemon = undefined
    expect(storedContents(dbPath)).toEqual(['written after the restart'])
    expect((await runCli(['doctor', '--json'], {env: restarted.env})).stdout).not.toContain('db_file_replaced')
  })

  it('replaced (a restore by mv): writes are refused, and after a restart the restored file holds every acknowledged write', async () => {
    temp = makeTempHome()
    initWorkspace(temp.workspace)
    const {dbPath} = workspacePaths(temp.workspace)
    const {env} = await start()
    const acknowledged: string[] = []
    for (const content of ['first note for the backup', 'second note for the backup']) {
      expect((await call('POST', '/api/memory/remember', {content})).status).toBe(201)
      acknowledged.push(content)
    }
    // A consistent copy, as `sqlite3 memories.db .backup` would make, then moved over the live file.
    const backup = `${dbPath}.restore`
    const reader = new Database(dbPath, {readonly: true})
    await reader.backup(backup)
    reader.close()
    copyFileSync(backup, `${backup}.tmp`)
    renameSync(`${backup}.tmp`, dbPath)
    rmSync(backup)
    await expectRefusedLoudly(env, 'replaced')

    await daemon!.kill('SIGTERM')
    await start()
    expect((await call('POST', '/api/memory/remember', {content: 'third note after the restore'})).status).toBe(201)
    acknowledged.push('third note after the restore')
    await daemon!.kill('SIGTERM')
    daemon = undefined
    expect(storedContents(dbPath)).toEqual(acknowledged)
  })

  it('a hook write refused because the file was replaced is spooled, and lands in the database after a restart and sync', async () => {
    temp = makeTempHome()
    initWorkspace(temp.workspace)
    const {dbPath} = workspacePaths(temp.workspace)
    const {env} = await start()
    const port = daemon!.port
    // the hook reaches the workspace's daemon as its owner, through the socket
    const hookEnv = env
    expect((await call('POST', '/api/memory/remember', {content: 'a note before the restore'})).status).toBe(201)

    const backup = `${dbPath}.restore`
    const reader = new Database(dbPath, {readonly: true})
    await reader.backup(backup)
    reader.close()
    renameSync(backup, dbPath)

    const transcript = path.join(temp.home, 'replaced-1.jsonl')
    writeFileSync(transcript, JSON.stringify({type: 'user', message: {role: 'user', content: 'The nightly export moved to the blue queue.'}}) + '\n')
    const end = await runHook(['session-end', '-H', 'claude-code'], {
      env: hookEnv,
      input: JSON.stringify({session_id: 'replaced-1', transcript_path: transcript, cwd: temp.home, reason: 'exit'}),
    })
    expect(end.code).toBe(0)
    expect(end.stderr).toMatch(/503|database_replaced|deleted or replaced/)
    const spool = path.join(temp.home, '.config', 'signet', 'spool')
    expect(readdirSync(spool).filter((name) => name.endsWith('.json'))).toHaveLength(1)

    await daemon!.kill('SIGTERM')
    await start(port)
    const sync = await runCli(['sync', '--json'], {env: hookEnv})
    expect(sync.code, sync.stderr).toBe(0)
    expect(JSON.parse(sync.stdout)).toMatchObject({rejected: 0, remaining: 0})
    await daemon!.kill('SIGTERM')
    daemon = undefined
    const db = new Database(dbPath, {readonly: true})
    try {
      const stored = db.prepare("SELECT content FROM session_transcripts WHERE session_key = 'replaced-1'").all() as Array<{content: string}>
      expect(stored).toHaveLength(1)
      expect(stored[0].content).toContain('The nightly export moved to the blue queue.')
    } finally {
      db.close()
    }
    expect(storedContents(dbPath)).toContain('a note before the restore')
  })
})
