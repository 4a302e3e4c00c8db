import {existsSync} from 'node:fs'
import {availableParallelism} from 'node:os'
import {fileURLToPath} from 'node:url'
import {Worker} from 'node:worker_threads'

import type {SqliteDatabase} from '../db.js'
import {RecallRanker} from '../recall-ranker.js'
import type {RecallQuery, RecallResult} from '../search.js'
import type {RecallRepository, VectorRepository} from '../storage.js'
import {SqliteLexicalIndex} from './lexical-index.js'

/*
 * Recall on worker threads (bench/README.md, "B4: 32 clients, recall on worker threads"). Ranking is most of the daemon's CPU
 * under load, and better-sqlite3 is synchronous, so on one thread every recall waits for every other
 * one. Each worker holds its own read-only connection to the database file (WAL lets readers run
 * beside the writer) and ranks with the same RecallRanker and SqliteLexicalIndex as in-process
 * recall (`sqliteRanker` below is the one place both are built). The main thread keeps HTTP, auth and
 * every write.
 *
 * - Read-your-writes: a write is committed before its answer is sent, and each recall in a worker is
 *   one read transaction begun after the request arrived, so it sees every acknowledged write.
 * - A worker that dies fails the recalls it held (an error, never a hang) and is replaced; one that
 *   cannot start three times in a row is given up. With no worker ready (starting, replaced, given
 *   up) recall runs in-process, as it does with vectors on (the embedder lives in the main thread).
 */

/** The shared ranker over an open SQLite connection: in-process recall and every worker build it here. */
export function sqliteRanker(db: SqliteDatabase, options: {vectors?: VectorRepository; promptTimeoutMs?: number} = {}): RecallRanker {
  return new RecallRanker(new SqliteLexicalIndex(db), options)
}

/** Most workers a daemon starts, whatever the machine: each holds a connection, a page cache and a V8 heap (~10 MB). */
export const MAX_RECALL_WORKERS = 4

/**
 * How many recall workers suit this machine: one per core but one (the main thread keeps HTTP, auth
 * and writes, ≈ 0.4 ms per request), at most MAX_RECALL_WORKERS — and none on two cores or fewer.
 * There one worker served about as much under B4 as in-process recall (it wins only while the other
 * core is idle, and the clients usually share it) and cost 30–45 MB of RSS after load, which the
 * 120 MB memory budget cannot spare (bench/README.md, "B4: 32 clients, recall on worker threads").
 * `SIGNET_RECALL_WORKERS` overrides it (0 = recall in-process).
 */
export function defaultRecallWorkers(env: NodeJS.ProcessEnv = process.env): number {
  const configured = env.SIGNET_RECALL_WORKERS?.trim()
  if (configured) {
    const count = Number(configured)
    if (Number.isInteger(count) && count >= 0) return Math.min(count, MAX_RECALL_WORKERS)
  }
  const cores = availableParallelism()
  return cores <= 2 ? 0 : Math.min(MAX_RECALL_WORKERS, cores - 1)
}

/** The worker's entry: compiled beside this file (dist/store/sqlite/). Absent when running from the TypeScript sources. */
export const RECALL_WORKER_SCRIPT = new URL('./recall-worker.js', import.meta.url)

export interface RecallWorkerLogger {
  info(message: string, fields?: Record<string, unknown>): void
  warn(message: string, fields?: Record<string, unknown>): void
}

/** Messages between the pool and a worker. */
export type ToRecallWorker = {type: 'recall'; id: number; query: RecallQuery} | {type: 'close'}
export type FromRecallWorker =
  {type: 'ready'} | {type: 'result'; id: number; result: RecallResult} | {type: 'failed'; id: number; error: {message: string; code?: string}}

export interface RecallWorkerData {
  dbPath: string
}

/** Recalls sent to one worker before its answers come back: two, so a worker never waits for the main thread between recalls. */
const IN_FLIGHT_PER_WORKER = 2
/** A worker that exits before it is ready this many times in a row is not started again. */
const START_FAILURES_ALLOWED = 3
/** How long close() waits for a worker to close its connection before terminating it. */
const CLOSE_WAIT_MS = 2000
/**
 * V8 limits per worker: recall's garbage is short-lived, and without a cap V8 grows each worker's
 * young generation under load. At 2 MB a worker's heap stays ≈ 17 MB under B4 (≈ 20 MB at 8 MB),
 * at no measurable CPU cost (bench/README.md, "B4: 32 clients, recall on worker threads").
 */
const WORKER_RESOURCE_LIMITS = {maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 64}

interface Pending {
  query: RecallQuery
  resolve: (result: RecallResult) => void
  reject: (error: Error) => void
}

interface Slot {
  index: number
  worker: Worker | undefined
  ready: boolean
  inFlight: Map<number, Pending>
  startFailures: number
}

export interface RecallWorkerPoolOptions {
  size: number
  logger?: RecallWorkerLogger
  /** The worker's entry (tests point at a build); default RECALL_WORKER_SCRIPT. */
  script?: URL
  /**
   * Whether the file at `dbPath` is still the one the daemon writes. A worker opens the path, so
   * after the file was deleted or replaced under the daemon (it then refuses writes until a
   * restart) none is started: recall stays on the connection the writes go to.
   */
  sameFile?: () => boolean
}

/**
 * A RecallRepository that ranks on `size` worker threads (started by the first recall), each over
 * its own read-only connection to `dbPath`, and in-process through `inProcess` while none is ready. Lexical recall only: a
 * storage with vectors keeps recall in-process.
 */
export class RecallWorkerPool implements RecallRepository {
  readonly embedder = undefined
  private readonly slots: Slot[]
  private readonly queue: Pending[] = []
  private readonly script: URL
  private nextId = 1
  private started = false
  private closing = false

  constructor(
    private readonly dbPath: string,
    private readonly inProcess: RecallRepository,
    private readonly options: RecallWorkerPoolOptions,
  ) {
    this.script = options.script ?? RECALL_WORKER_SCRIPT
    this.slots = Array.from({length: Math.max(0, options.size)}, (_, index) => ({
      index,
      worker: undefined,
      ready: false,
      inFlight: new Map(),
      startFailures: 0,
    }))
  }

  /** Whether a worker build sits beside this module (false under the TypeScript sources, e.g. in tests run from src). */
  static available(script: URL = RECALL_WORKER_SCRIPT): boolean {
    return existsSync(fileURLToPath(script))
  }

  /** Workers ready to take recalls now. */
  get readyWorkers(): number {
    return this.slots.filter((slot) => slot.ready).length
  }

  /** The budget is the embedder's; the pool serves lexical recall only. */
  async recall(query: RecallQuery): Promise<RecallResult> {
    // Workers start with the first recall: a daemon that is never asked costs nothing more, and its
    // start-up (B1, B5) does not share the CPU with them. Until one is ready, recall runs in-process.
    if (!this.started && !this.closing) {
      this.started = true
      for (const slot of this.slots) this.start(slot)
    }
    if (this.closing || this.readyWorkers === 0) return this.inProcess.recall(query)
    return new Promise<RecallResult>((resolve, reject) => {
      this.queue.push({query, resolve, reject})
      this.dispatch()
    })
  }

  /** Let each worker close its connection, then stop it; recalls still queued run in-process. */
  async close(): Promise<void> {
    if (this.closing) return
    this.closing = true
    for (const pending of this.queue.splice(0)) this.inProcess.recall(pending.query).then(pending.resolve, pending.reject)
    await Promise.all(
      this.slots.map(async (slot) => {
        const worker = slot.worker
        if (!worker) return
        slot.ready = false
        const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
        worker.postMessage({type: 'close'} satisfies ToRecallWorker)
        const timer = setTimeout(() => void worker.terminate(), CLOSE_WAIT_MS)
        await exited
        clearTimeout(timer)
      }),
    )
  }

  /** Hand queued recalls to the least busy ready workers. */
  private dispatch(): void {
    while (this.queue.length > 0) {
      let chosen: Slot | undefined
      for (const slot of this.slots) {
        if (!slot.ready || slot.inFlight.size >= IN_FLIGHT_PER_WORKER) continue
        if (!chosen || slot.inFlight.size < chosen.inFlight.size) chosen = slot
      }
      if (!chosen) return
      const pending = this.queue.shift()!
      const id = this.nextId++
      chosen.inFlight.set(id, pending)
      chosen.worker!.postMessage({type: 'recall', id, query: pending.query} satisfies ToRecallWorker)
    }
  }

  private start(slot: Slot): void {
    if (this.options.sameFile && !this.options.sameFile()) {
      this.options.logger?.warn('the database file changed under the daemon; recall stays in-process', {worker: slot.index})
      return
    }
    const worker = new Worker(this.script, {
      workerData: {dbPath: this.dbPath} satisfies RecallWorkerData,
      resourceLimits: WORKER_RESOURCE_LIMITS,
      // The daemon's own flags (a --cpu-prof, say) are not the worker's business.
      execArgv: [],
      stdout: false,
      stderr: false,
    })
    slot.worker = worker
    worker.on('message', (message: FromRecallWorker) => this.onMessage(slot, message))
    worker.on('error', (error) => this.options.logger?.warn('recall worker failed', {worker: slot.index, error: String(error)}))
    worker.once('exit', (code) => this.onExit(slot, worker, code))
  }

  private onMessage(slot: Slot, message: FromRecallWorker): void {
    if (message.type === 'ready') {
      slot.ready = true
      slot.startFailures = 0
      this.dispatch()
      return
    }
    const pending = slot.inFlight.get(message.id)
    if (!pending) return
    slot.inFlight.delete(message.id)
    if (message.type === 'result') pending.resolve(message.result)
    else pending.reject(Object.assign(new Error(message.error.message), message.error.code ? {code: message.error.code} : {}))
    this.dispatch()
  }

  private onExit(slot: Slot, worker: Worker, code: number): void {
    if (slot.worker !== worker) return
    const wasReady = slot.ready
    slot.ready = false
    slot.worker = undefined
    const lost = [...slot.inFlight.values()]
    slot.inFlight.clear()
    for (const pending of lost) pending.reject(new Error('the recall worker stopped while ranking this query; retry'))
    if (this.closing) return
    if (!wasReady) slot.startFailures++
    if (slot.startFailures >= START_FAILURES_ALLOWED) {
      this.options.logger?.warn('recall worker could not start; recalling in-process', {worker: slot.index, exitCode: code})
    } else {
      this.options.logger?.warn('recall worker stopped; starting another', {worker: slot.index, exitCode: code, failedRecalls: lost.length})
      this.start(slot)
    }
    // Recalls waiting for a worker run in-process when none is left to take them.
    if (this.readyWorkers === 0) for (const pending of this.queue.splice(0)) this.inProcess.recall(pending.query).then(pending.resolve, pending.reject)
    else this.dispatch()
  }
}
