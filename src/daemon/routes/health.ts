import {Hono} from 'hono'

import type {AppEnv, DaemonContext} from '../context.js'

/** Open liveness probe: no paths, counts or anything else an anonymous caller could learn from. */
export function healthRoutes(daemon: DaemonContext) {
  return new Hono<AppEnv>().get('/health', (c) =>
    c.json({status: 'ok', version: daemon.version, uptime: Math.round((Date.now() - daemon.startedAt) / 1000)}),
  )
}
