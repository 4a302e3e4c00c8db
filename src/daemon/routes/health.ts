import {Hono} from 'hono'

import type {AppEnv, DaemonContext} from '../context.js'
import {databaseHealth} from '../database-guard.js'
import {respond} from '../respond.js'

/** Open liveness probe: no paths, counts or anything else an anonymous caller could learn from. */
export function healthRoutes(daemon: DaemonContext) {
  return new Hono<AppEnv>().get('/health', (c) => {
    const uptime = Math.round((Date.now() - daemon.startedAt) / 1000)
    const database = databaseHealth(daemon, {revealPaths: false})
    if (database.status !== 'ok') return respond(c, 'GET /health', {status: 'degraded', version: daemon.version, uptime, database})
    return respond(c, 'GET /health', {status: 'ok', version: daemon.version, uptime})
  })
}
