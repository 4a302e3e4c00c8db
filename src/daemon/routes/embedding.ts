import {Hono} from 'hono'
import {stream} from 'hono/streaming'

import {ApiError} from '../api-error.js'
import {requirePermission} from '../auth/principal.js'
import type {AppEnv, DaemonContext} from '../context.js'
import {readJsonBody} from '../request-validation.js'
import {respond} from '../respond.js'
import {API_CONTRACT} from '../../api/contract.js'
import type {BackfillLine} from '../../api/status.js'

// Nothing to choose: the daemon embeds with agent.yaml's provider. Unknown fields are refused, not ignored.
const backfillBody = API_CONTRACT['POST /api/embedding/backfill'].body

/** Backfills running now, per daemon: one at a time (a second would embed the same memories again). */
const running = new WeakSet<DaemonContext>()

/** Vector indexing progress (`signet embed status`, the bench) and backfill now (`signet embed backfill`). */
export function embeddingRoutes(daemon: DaemonContext) {
  const app = new Hono<AppEnv>()

  app.get('/api/embedding/status', async (c) => {
    const principal = c.get('principal')
    requirePermission(principal, 'recall')
    const vectors = daemon.storage.vectors
    // Indexed and pending counts are store-wide: a key narrowed to an agent or projects learns only
    // whether vectors are on, never how much the rest of the store holds.
    const narrowed = Boolean(principal.scope.agent || principal.scope.project || principal.allowedProjects?.length)
    if (!vectors) {
      return respond(c, 'GET /api/embedding/status', {provider: 'none', model: null, dimensions: null, indexed: 0, pending: 0, lastError: null, enabled: false})
    }
    const status = await vectors.status()
    if (narrowed) return respond(c, 'GET /api/embedding/status', {...status, indexed: null, pending: null, enabled: true})
    return respond(c, 'GET /api/embedding/status', {...status, enabled: true})
  })

  /**
   * Embed every memory still without a vector now, answering one JSON line per batch so the caller
   * shows progress: `application/x-ndjson`, `{"type":"progress","done","total","failed"}` lines, then
   * one `{"type":"done","provider","model","embedded","total","seconds"}` or
   * `{"type":"error","error","embedded"}`. Owner or admin only: it spends the embedder's time (and,
   * for a paid provider, money) on the whole store. A client that goes away stops it; vectors stored
   * so far are kept. 409 `embedding_disabled` when no provider is configured, `backfill_running`
   * while another runs.
   */
  app.post('/api/embedding/backfill', async (c) => {
    requirePermission(c.get('principal'), 'admin')
    await readJsonBody(c, backfillBody)
    const vectors = daemon.storage.vectors
    if (!vectors) {
      throw new ApiError(
        409,
        'embedding_disabled',
        'embedding.provider is none — set embedding.provider in agent.yaml (local, ollama or openai) and restart the daemon',
      )
    }
    if (running.has(daemon)) throw new ApiError(409, 'backfill_running', 'a backfill is already running on this daemon; wait for it to finish')
    running.add(daemon)
    const started = performance.now()
    const abort = new AbortController()
    c.header('Content-Type', 'application/x-ndjson; charset=utf-8')
    c.header('Cache-Control', 'no-store')
    return stream(c, async (out) => {
      out.onAbort(() => abort.abort())
      const write = (line: BackfillLine) => out.write(`${JSON.stringify(line)}\n`)
      let embedded = 0
      try {
        const progress: Array<Promise<unknown>> = []
        const result = await vectors.backfill((step) => {
          embedded = step.done
          progress.push(write({type: 'progress', ...step}))
        }, abort.signal)
        await Promise.all(progress)
        const seconds = Math.round((performance.now() - started) / 100) / 10
        await write({type: 'done', provider: vectors.embedder.provider, model: vectors.embedder.model, embedded: result.done, total: result.total, seconds})
        daemon.logger.info('embedding backfill done', {embedded: result.done, seconds})
      } catch (error) {
        daemon.logger.warn('embedding backfill stopped', {error: String(error), embedded})
        if (!abort.signal.aborted) await write({type: 'error', error: (error as Error).message, embedded})
      } finally {
        running.delete(daemon)
      }
    })
  })

  return app
}
