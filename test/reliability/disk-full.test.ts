import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import Database from 'better-sqlite3'
import {afterEach, describe, expect, it} from 'vitest'

import {workspacePaths} from '../../src/config/paths.js'
import {initWorkspace} from '../../src/config/workspace.js'
import {makeTempHome, type TempHome} from '../helpers/temp-home.js'
import {spawnDaemon, type SpawnedDaemon} from './support/spawned-daemon.js'
import {startWriteLoad, type AckedWrite, type WriteLoad} from './support/write-load.js'

let temp: TempHome | undefined
let daemon: SpawnedDaemon | undefined
let mountPoint: string | undefined

afterEach(async () => {
  await daemon?.kill('SIGKILL')
  daemon = undefined
  if (mountPoint) {
    try {
      execFileSync('umount', [mountPoint])
    } catch {
      // already unmounted
    }
    rmSync(mountPoint, {recursive: true, force: true})
    mountPoint = undefined
  }
  temp?.cleanup()
  temp = undefined
})

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

const refusalsOf = (load: WriteLoad) => Object.fromEntries(load.result.refusals)
const diskFullCount = (load: WriteLoad) => load.result.refusals.get('507 disk_full') ?? 0

async function post(target: SpawnedDaemon, route: string, body: unknown): Promise<{status: number; body: any}> {
  const response = await fetch(`${target.url}${route}`, {
    method: 'POST',
    headers: target.ownerHeaders({'content-type': 'application/json'}),
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  })
  return {status: response.status, body: await response.json()}
}

/** Every acknowledged write is served by the running daemon, byte for byte. */
async function expectServed(target: SpawnedDaemon, acked: AckedWrite[]): Promise<void> {
  const missing: string[] = []
  for (const write of acked) {
    const response = await fetch(`${target.url}/api/memory/${write.id}`, {headers: target.ownerHeaders(), signal: AbortSignal.timeout(15_000)})
    const body = (await response.json()) as {memory?: {content: string}}
    if (response.status !== 200 || body.memory?.content !== write.content) missing.push(write.id)
  }
  expect(missing, 'acknowledged writes not served').toEqual([])
}

function expectSoundOnDisk(dbPath: string, acked: AckedWrite[]): void {
  const db = new Database(dbPath)
  try {
    expect(db.pragma('integrity_check', {simple: true})).toBe('ok')
    db.prepare("INSERT INTO memories_fts(memories_fts, rank) VALUES ('integrity-check', 1)").run()
    const byId = db.prepare('SELECT content FROM memories WHERE id = ?')
    expect(acked.filter((write) => (byId.get(write.id) as {content: string} | undefined)?.content !== write.content).map((w) => w.id)).toEqual([])
  } finally {
    db.close()
  }
}

/**
 * Fill the disk under a writing daemon, check the failure is clean (507 disk_full, reads still
 * work, nothing acknowledged lost), crash and restart it on the full disk, then give the space
 * back and check the daemon recovers by itself.
 */
async function fillThenRecover(workspace: string, options: {wrapper?: string[]; giveSpaceBack: (pid: number) => void; label: string}) {
  const dbPath = workspacePaths(workspace).dbPath
  daemon = await spawnDaemon({workspace, env: temp!.env, wrapper: options.wrapper})
  // A connector key minted before the disk fills and first used after: its reads must still work.
  const minted = await post(daemon, '/api/auth/api-keys', {name: 'reader', role: 'readonly'})
  expect(minted.status).toBe(201)
  const readerKey = minted.body.apiKey.key as string
  const load = startWriteLoad({url: daemon.url, headers: () => daemon!.ownerHeaders(), clients: 4, padding: 3000})
  await until(() => diskFullCount(load) >= 30, 60_000, `30 disk_full answers (so far ${JSON.stringify(refusalsOf(load))}, ${load.result.acked.length} acked)`)
  await load.stop()
  // Then small writes until even those no longer fit: the disk is full to the last page.
  const small = startWriteLoad({url: daemon.url, headers: () => daemon!.ownerHeaders(), clients: 2})
  await until(() => diskFullCount(small) >= 10, 60_000, 'small writes to hit disk_full')
  await small.stop()
  const full = {...load.result, acked: [...load.result.acked, ...small.result.acked], sent: load.result.sent + small.result.sent}
  expect(Object.keys(refusalsOf(small))).toEqual(['507 disk_full'])
  expect(full.acked.length, 'some writes should fit before the disk fills').toBeGreaterThan(0)
  expect(full.unanswered).toBe(0)
  // Only clean refusals: never a 500, never a dropped connection.
  expect(Object.keys(refusalsOf(load))).toEqual(['507 disk_full'])

  // Still alive and still reading while full.
  expect((await fetch(`${daemon.url}/health`)).status).toBe(200)
  const token = full.acked[0].content.match(/token (\w+)/)![1]
  const recall = await post(daemon, '/api/memory/recall', {query: token})
  expect(recall.status).toBe(200)
  expect(recall.body.results[0].id).toBe(full.acked[0].id)
  await expectServed(daemon, full.acked)
  const keyed = await fetch(`${daemon.url}/api/memory/recall`, {
    method: 'POST',
    headers: {'content-type': 'application/json', authorization: `Bearer ${readerKey}`},
    body: JSON.stringify({query: token}),
  })
  expect(keyed.status, `recall with a key while the disk is full: ${await keyed.clone().text()}`).toBe(200)
  expect(((await keyed.json()) as {results: Array<{id: string}>}).results[0].id).toBe(full.acked[0].id)
  const refused = await post(daemon, '/api/memory/remember', {content: `refused while full ${'x'.repeat(3000)}`})
  expect(refused.status).toBe(507)
  expect(refused.body).toEqual({error: expect.stringMatching(/disk full/), code: 'disk_full'})

  // A crash while the disk is full: the next daemon still starts, serves everything, refuses writes cleanly.
  await daemon.kill('SIGKILL')
  daemon = await spawnDaemon({workspace, env: temp!.env, wrapper: options.wrapper})
  await expectServed(daemon, full.acked)
  expect((await post(daemon, '/api/memory/remember', {content: `still full ${'y'.repeat(3000)}`})).status).toBe(507)

  // Space comes back: the running daemon takes writes again without a restart.
  options.giveSpaceBack(daemon.pid)
  const after = startWriteLoad({url: daemon.url, headers: () => daemon!.ownerHeaders(), clients: 4, padding: 3000})
  await after.ackedAtLeast(40)
  const recovered = await after.stop()
  expect(refusalsOf(after)).toEqual({})
  const acked = [...full.acked, ...recovered.acked]
  await expectServed(daemon, acked)

  // A clean stop and a cold look at the file: sound, and every acknowledged write is there.
  const exit = await daemon.kill('SIGTERM')
  daemon = undefined
  expect(exit.code).toBe(0)
  expectSoundOnDisk(dbPath, acked)
  console.info(
    `${options.label}: ${full.sent + recovered.sent} writes sent, ${acked.length} acknowledged, ${diskFullCount(load)} answered 507 disk_full, 0 lost, integrity ok after recovery`,
  )
}

describe('durability: disk full', () => {
  it('a full tmpfs gives 507 disk_full, loses nothing acknowledged, and recovers when space returns', async (context) => {
    temp = makeTempHome()
    mountPoint = mkdtempSync(path.join(tmpdir(), 'signet-tmpfs-'))
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'signet-disk-full', mountPoint], {stdio: 'pipe'})
    } catch (error) {
      rmSync(mountPoint, {recursive: true, force: true})
      mountPoint = undefined
      const reason = `mount -t tmpfs not permitted here (${String((error as {stderr?: Buffer}).stderr ?? error).trim()}); the ulimit -f test covers disk full`
      console.warn(`SKIPPED tmpfs disk-full test: ${reason}`)
      context.skip(reason)
      return
    }
    const workspace = path.join(mountPoint, 'workspace')
    initWorkspace(workspace)
    await fillThenRecover(workspace, {
      label: 'tmpfs disk full',
      giveSpaceBack: () => execFileSync('mount', ['-o', 'remount,size=64m', mountPoint!]),
    })
  })

  it('a file-size limit (ulimit -f, SIGXFSZ ignored) gives the same clean failure and recovery', async () => {
    temp = makeTempHome()
    initWorkspace(temp.workspace)
    // A soft limit the WAL soon reaches; the hard limit stays open so the soft one can be lifted again.
    await fillThenRecover(temp.workspace, {
      label: 'file-size limit',
      wrapper: ['prlimit', `--fsize=${1536 * 1024}:unlimited`],
      giveSpaceBack: (pid) => execFileSync('prlimit', ['--pid', String(pid), '--fsize=unlimited:unlimited']),
    })
  })
})
