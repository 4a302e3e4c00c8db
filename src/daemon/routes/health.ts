import {Hono} from 'hono'

import type {AppEnv, DaemonContext} from '../context.js'
import {databaseHealth} from '../database-guard.js'

/** Open liveness probe: no paths, counts or anything else an anonymous caller could learn from. */
export function healthRoutes(daemon: DaemonContext) {
  return new Hono<AppEnv>().get('/health', (c) => {
    const database = databaseHealth(daemon, {revealPaths: false})
    return c.json({status: database.status === 'ok' ? 'ok' : 'degraded', version: daemon.version, uptime: Math.round((Date.now() - daemon.startedAt) / 1000), database})
  })
}
