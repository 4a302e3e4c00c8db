import {createHash} from 'node:crypto'
import {closeSync, openSync, readFileSync, rmSync, statSync, writeSync} from 'node:fs'
import path from 'node:path'

import {type AgentConfig, defaultAgentConfig, loadAgentConfig} from '../config/agent-config.js'
import {writeFileAtomic} from '../config/atomic-file.js'
import {redactDatabaseSecrets} from '../config/database-url.js'
import {workspacePaths} from '../config/paths.js'
import {ensurePrivateDir, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE} from '../config/private-files.js'
import {configuredStorageLocation, describeStorageLocation, storageLocationIdentity, type StorageLocation} from '../config/storage-location.js'
import {SignetError} from '../errors.js'
import {openStorage} from '../store/open-storage.js'
import type {Storage} from '../store/storage.js'
import {type MigrationCheckpoint, type MigrationProgress, migrateTables, type OtherData, otherData, type TableVerdict} from '../store/storage-migration.js'
import {daemonProcessStatus, isProcessAlive} from './process.js'

/**
 * `signet storage migrate`: copy a workspace's store to another backend while its daemon is
 * stopped (docs/deployment.md). It lives with the daemon because it is the daemon's storage it
 * opens — through the same door (src/store/open-storage.ts) and the seam's `TableCopy`, never SQL —
 * in the CLI's process, as `daemon run` does; the command only renders what happens.
 *
 * Resumable: after each page the checkpoint goes to an owner-only file in the workspace's
 * `.daemon/`, named by a hash of the two stores' identities (file paths, URLs without their
 * password), so the same command run again continues where it stopped. The file names both ends
 * with passwords masked and holds only table names and keys.
 */

export interface StorageMigrationEvents {
  /** An earlier run of the same copy stopped: this one continues from its checkpoint. */
  resuming?(resume: {file: string; savedAt: string; tablesDone: number}): void
  /** `force`: the target's own rows, deleted before the copy. */
  removedOtherData?(removed: OtherData[]): void
  progress?(progress: MigrationProgress): void
  /** Every row is copied; counting and hashing both sides begins. */
  verifying?(): void
}

export interface StorageMigrationRequest {
  workspace: string
  /** Default: the store the workspace's daemon uses (agent.yaml `storage`, SIGNET_DATABASE_URL). */
  from?: StorageLocation
  to: StorageLocation
  /** Rows per page (1–10,000). */
  batchSize: number
  /** Ignore a saved checkpoint and copy from the first row. */
  restart?: boolean
  /** Copy even when the target holds rows the source does not: those are deleted first. */
  force?: boolean
  signal?: AbortSignal
  events?: StorageMigrationEvents
  /** Where SIGNET_DATABASE_URL is read for the default source (default process.env). */
  env?: NodeJS.ProcessEnv
}

export interface StorageMigrationOutcome {
  /** Both ends as they may be printed (passwords masked). */
  source: string
  target: string
  from: StorageLocation
  to: StorageLocation
  resumed: boolean
  /** Rows written by this run. */
  copied: number
  removedOtherData: OtherData[]
  tables: TableVerdict[]
  /** Every table has the same count and content hash on both sides. */
  ok: boolean
  seconds: number
}

interface SavedCheckpoint {
  version: 1
  source: string
  target: string
  savedAt: string
  checkpoint: MigrationCheckpoint
}

export const MAX_BATCH_SIZE = 10_000

export async function runStorageMigration(request: StorageMigrationRequest): Promise<StorageMigrationOutcome> {
  const started = performance.now()
  const {workspace, to, events = {}} = request
  const paths = workspacePaths(workspace)
  const from = request.from ?? configuredStorageLocation(loadAgentConfig(workspace), paths, request.env)
  const source = describeStorageLocation(from)
  const target = describeStorageLocation(to)
  if (!Number.isInteger(request.batchSize) || request.batchSize < 1 || request.batchSize > MAX_BATCH_SIZE) {
    throw new SignetError(`--batch-size must be a whole number from 1 to ${MAX_BATCH_SIZE}`, 'invalid_argument')
  }
  if (storageLocationIdentity(from) === storageLocationIdentity(to))
    throw new SignetError(`the source and the target are the same store (${target}) — give --to another database or file`, 'same_store')
  refuseWhileDaemonRuns(workspace)
  if (from.backend === 'sqlite' && !isFile(from.path))
    throw new SignetError(`no SQLite database at ${from.path} — nothing to copy (give --from the store to copy)`, 'no_source')
  if (to.backend === 'sqlite' && existsAsDirectory(to.path))
    throw new SignetError(`the target ${to.path} is a directory — give a file path such as ${path.join(to.path, 'memories.db')}`, 'invalid_argument')

  const id = createHash('sha256')
    .update(`${storageLocationIdentity(from)}\n${storageLocationIdentity(to)}`)
    .digest('hex')
    .slice(0, 16)
  ensurePrivateDir(paths.daemonDir)
  const checkpointFile = path.join(paths.daemonDir, `storage-migrate-${id}.json`)
  const releaseLock = takeLock(path.join(paths.daemonDir, `storage-migrate-${id}.lock`), target)
  const opened: Storage[] = []
  const secrets = [from, to].flatMap((location) => (location.backend === 'postgres' ? [location.url] : []))
  try {
    const saved = request.restart ? undefined : readCheckpoint(checkpointFile)
    if (saved) events.resuming?.({file: checkpointFile, savedAt: saved.savedAt, tablesDone: saved.checkpoint.done.length})
    const sourceStorage = await openLocation(from)
    opened.push(sourceStorage)
    const targetStorage = await openLocation(to)
    opened.push(targetStorage)

    const foreign = await otherData(sourceStorage.tables, targetStorage.tables, {batchSize: request.batchSize})
    let removed: OtherData[] = []
    if (foreign.length > 0) {
      if (!request.force) throw otherDataError(foreign, target)
      removed = await otherData(sourceStorage.tables, targetStorage.tables, {batchSize: request.batchSize, remove: true})
      events.removedOtherData?.(removed)
    }

    const tableCount = (await sourceStorage.tables.tables()).length
    const report = await migrateTables(sourceStorage.tables, targetStorage.tables, {
      batchSize: request.batchSize,
      checkpoint: saved?.checkpoint,
      signal: request.signal,
      onCheckpoint: async (checkpoint) => {
        const file: SavedCheckpoint = {version: 1, source, target, savedAt: new Date().toISOString(), checkpoint}
        writeFileAtomic(checkpointFile, JSON.stringify(file, null, 2) + '\n', {mode: PRIVATE_FILE_MODE, dirMode: PRIVATE_DIR_MODE})
        // A daemon started meanwhile would write to the store behind the copy's back.
        refuseWhileDaemonRuns(workspace, 'started during the copy')
        if (checkpoint.done.length === tableCount) events.verifying?.()
        // SQLite answers synchronously: without a turn of the event loop per page, neither a Ctrl-C
        // (the abort signal) nor the spinner would be seen until the copy ended.
        await new Promise((resolve) => setImmediate(resolve))
      },
      onProgress: events.progress,
    })
    // The copy is whole (verified or not): a run after this one copies from the first row again.
    rmSync(checkpointFile, {force: true})
    return {
      source,
      target,
      from,
      to,
      resumed: saved !== undefined,
      copied: report.copied,
      removedOtherData: removed,
      tables: report.tables,
      ok: report.ok,
      seconds: (performance.now() - started) / 1000,
    }
  } catch (error) {
    if (request.signal?.aborted) {
      throw new SignetError(`interrupted — every page copied so far is kept; run the same command again to resume from ${checkpointFile}`, 'interrupted')
    }
    if (error instanceof SignetError) throw error
    const message = secrets.reduce((text, url) => redactDatabaseSecrets(text, url), error instanceof Error ? error.message : String(error))
    throw new SignetError(
      `the copy from ${source} to ${target} stopped: ${message} — what was copied is kept; run the same command again to resume`,
      'migration_failed',
    )
  } finally {
    for (const storage of opened.reverse()) await storage.close().catch(() => {})
    releaseLock()
  }
}

/** The store at a location, opened for copying: no embedder, nothing in the background. */
async function openLocation(location: StorageLocation): Promise<Storage> {
  const config: AgentConfig = {
    ...defaultAgentConfig(),
    embedding: {provider: 'none'},
    storage: location.backend === 'postgres' ? {backend: 'postgres', url: location.url, poolSize: 2} : {backend: 'sqlite', poolSize: 1},
  }
  // env {}: the location is the URL given, never SIGNET_DATABASE_URL.
  return openStorage(config, {dbPath: location.backend === 'sqlite' ? location.path : ''}, {indexInBackground: false, env: {}})
}

function refuseWhileDaemonRuns(workspace: string, when = 'is running'): void {
  const status = daemonProcessStatus(workspace)
  if (!status.running) return
  throw new SignetError(
    `the daemon for ${workspace} ${when} (pid ${status.pid}) — stop it first with \`signet daemon stop\`: a copy of a store that is being written cannot be verified`,
    'daemon_running',
  )
}

function otherDataError(found: OtherData[], target: string): SignetError {
  const tables = found.map((entry) => `${entry.table} (${entry.rows} row${entry.rows === 1 ? '' : 's'})`).join(', ')
  return new SignetError(
    `the target ${target} already holds data that is not from this source: ${tables} — copy into an empty database or file, ` +
      'or add --force to delete those rows so the target becomes an exact copy of the source',
    'target_not_empty',
  )
}

function readCheckpoint(file: string): SavedCheckpoint | undefined {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
  try {
    const saved = JSON.parse(text) as SavedCheckpoint
    const {after, done} = saved.checkpoint ?? {}
    if (saved.version === 1 && after && typeof after === 'object' && Array.isArray(done)) return saved
  } catch {
    // A checkpoint that does not parse is ignored: the copy starts from the first row (upserts make that safe).
  }
  return undefined
}

/**
 * One run of a copy at a time: an exclusive file holding our pid. A lock whose process is gone
 * (killed mid-copy) is taken over. Returns the release.
 */
function takeLock(file: string, target: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', PRIVATE_FILE_MODE)
      writeSync(fd, `${process.pid}\n`)
      closeSync(fd)
      return () => rmSync(file, {force: true})
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      let owner = Number.NaN
      try {
        owner = Number.parseInt(readFileSync(file, 'utf8').trim(), 10)
      } catch {
        // Released between our attempt and this read: take it on the next attempt.
      }
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isProcessAlive(owner)) {
        throw new SignetError(`another signet storage migrate to ${target} is running (pid ${owner}) — let it finish`, 'migration_running')
      }
      rmSync(file, {force: true})
    }
  }
  throw new SignetError(`could not take the migration lock ${file}`)
}

function isFile(file: string): boolean {
  return statSync(file, {throwIfNoEntry: false})?.isFile() ?? false
}

function existsAsDirectory(file: string): boolean {
  return statSync(file, {throwIfNoEntry: false})?.isDirectory() ?? false
}
