import {Hono} from 'hono'

import {requirePermission} from '../auth/principal.js'
import type {AppEnv, DaemonContext} from '../context.js'

/** Vector indexing progress: `signet embed status`, the bench, and anyone waiting for a backfill. */
export function embeddingRoutes(daemon: DaemonContext) {
  return new Hono<AppEnv>().get('/api/embedding/status', (c) => {
    requirePermission(c.get('principal'), 'recall')
    const indexer = daemon.embedding
    if (!indexer) {
      return c.json({provider: 'none', model: null, dimensions: null, indexed: 0, pending: 0, lastError: null, enabled: false})
    }
    return c.json({...indexer.status(), enabled: true})
  })
}
