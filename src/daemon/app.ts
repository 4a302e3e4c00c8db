import {type Context, Hono} from 'hono'
import {bodyLimit} from 'hono/body-limit'

import {ApiError} from './api-error.js'
import {authenticate} from './auth/authenticate.js'
import {browserGuard} from './browser-guard.js'
import type {AppEnv, DaemonContext} from './context.js'
import {guardDatabaseFile, STORAGE_UNREACHABLE_CODE} from './database-guard.js'
import {agentRoutes} from './routes/agents.js'
import {authRoutes} from './routes/auth.js'
import {dashboardApiRoutes, dashboardRoutes} from './routes/dashboard.js'
import {deviceRoutes} from './routes/devices.js'
import {diagnosticsRoutes} from './routes/diagnostics.js'
import {harnessSyncRoutes} from './routes/harness-sync.js'
import {embeddingRoutes} from './routes/embedding.js'
import {harnessRoutes} from './routes/harnesses.js'
import {healthRoutes} from './routes/health.js'
import {hookRoutes} from './routes/hooks.js'
import {mcpRoutes} from './routes/mcp.js'
import {memoryRoutes} from './routes/memory.js'
import {sessionRoutes} from './routes/sessions.js'
import {sourceRoutes} from './routes/sources.js'
import {statusRoutes} from './routes/status.js'
import {synthesisRoutes} from './routes/synthesis.js'

export const MAX_BODY_BYTES = 1024 * 1024

/** The daemon's HTTP API: browser guard → body limit → auth → one router per route group → one error envelope. */
export function createApp(daemon: DaemonContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>()

  app.use('*', async (c, next) => {
    const started = performance.now()
    await next()
    daemon.logger.debug('request', {
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round(performance.now() - started),
    })
  })

  app.use('*', browserGuard(daemon))

  const tooLarge = (c: Context) => {
    // The unread rest of the body makes the connection unusable, so tell the client to drop it.
    c.header('Connection', 'close')
    return c.json({error: `request body is larger than ${MAX_BODY_BYTES} bytes`, code: 'payload_too_large'}, 413)
  }
  const streamedBodyLimit = bodyLimit({maxSize: MAX_BODY_BYTES, onError: tooLarge})
  app.use('*', async (c, next) => {
    // Decided from the headers when they suffice: hono's bodyLimit reads `c.req.raw.body`, which makes
    // @hono/node-server build a full web Request (AbortController, undici Headers) for every
    // request, even a GET with no body — a third of the daemon's CPU per /health.
    const transferEncoding = c.req.header('transfer-encoding')
    const contentLength = c.req.header('content-length')
    if (transferEncoding === undefined) {
      if (contentLength === undefined) return next()
      return Number.parseInt(contentLength, 10) > MAX_BODY_BYTES ? tooLarge(c) : next()
    }
    return streamedBodyLimit(c, next)
  })
  // The dashboard's page, files and one-time login links carry no data: served before auth.
  app.route('/', dashboardRoutes(daemon))
  app.use('*', authenticate(daemon))
  app.use('*', guardDatabaseFile(daemon))

  // Route groups. Each lives in src/daemon/routes/<group>.ts and is mounted here once.
  app.route('/', healthRoutes(daemon))
  app.route('/', statusRoutes(daemon))
  app.route('/', authRoutes(daemon))
  app.route('/', memoryRoutes(daemon))
  app.route('/', embeddingRoutes(daemon))
  app.route('/', mcpRoutes(daemon, app))
  app.route('/', harnessSyncRoutes(daemon))
  app.route('/', diagnosticsRoutes(daemon))
  app.route('/', hookRoutes(daemon))
  app.route('/', synthesisRoutes(daemon))
  app.route('/', sessionRoutes(daemon))
  app.route('/', sourceRoutes(daemon))
  app.route('/', harnessRoutes(daemon))
  app.route('/', agentRoutes(daemon))
  app.route('/', deviceRoutes(daemon))
  app.route('/', dashboardApiRoutes(daemon))

  app.notFound((c) => c.json({error: `no route for ${c.req.method} ${c.req.path}`, code: 'not_found'}, 404))
  app.onError((error, c) => {
    if (error instanceof ApiError) {
      for (const [name, value] of Object.entries(error.headers)) c.header(name, value)
      return c.json({error: error.message, code: error.code, ...error.extra}, error.status)
    }
    if (isBusyError(error)) {
      c.header('Retry-After', '1')
      return c.json({error: 'the database is busy, retry shortly', code: 'busy'}, 503)
    }
    if (isStorageUnreachable(daemon, error)) {
      c.header('Retry-After', '2')
      return c.json({error: 'the storage server does not answer; nothing was changed, retry shortly', code: STORAGE_UNREACHABLE_CODE}, 503)
    }
    if (isDiskFullError(error)) {
      return c.json({error: 'the daemon cannot write: disk full', code: 'disk_full'}, 507 as never)
    }
    daemon.logger.error('unhandled error', {method: c.req.method, path: c.req.path, error: String(error)})
    return c.json({error: 'internal error — see the daemon log (signet daemon logs)', code: 'internal'}, 500)
  })

  return app
}

function isBusyError(error: unknown): boolean {
  const code = (error as {code?: string}).code
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED'
}

function isDiskFullError(error: unknown): boolean {
  const code = (error as {code?: string}).code
  return code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'SQLITE_IOERR_WRITE'
}

/**
 * A request that failed because the storage server went away (PostgreSQL restarting, the network
 * between): a 503 the client may retry, never a 500 — whether the storage already noticed (its
 * write problem says unreachable) or this is the first failed connection.
 */
const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006'])

function isStorageUnreachable(daemon: DaemonContext, error: unknown): boolean {
  if (daemon.storage.writeProblem()?.code === 'unreachable') return true
  const code = (error as {code?: unknown} | null)?.code
  return typeof code === 'string' && CONNECTION_ERROR_CODES.has(code) && daemon.storage.backend !== 'sqlite'
}
