import {Hono} from 'hono'

import {requirePermission} from '../auth/principal.js'
import type {AppEnv, DaemonContext} from '../context.js'
import {respond} from '../respond.js'

/** Vector indexing progress: `signet embed status`, the bench, and anyone waiting for a backfill. */
export function embeddingRoutes(daemon: DaemonContext) {
  return new Hono<AppEnv>().get('/api/embedding/status', (c) => {
    const principal = c.get('principal')
    requirePermission(principal, 'recall')
    const indexer = daemon.embedding
    // Indexed and pending counts are store-wide: a key narrowed to an agent or projects learns only
    // whether vectors are on, never how much the rest of the store holds.
    const narrowed = Boolean(principal.scope.agent || principal.scope.project || principal.allowedProjects?.length)
    if (!indexer) {
      return respond(c, 'GET /api/embedding/status', {provider: 'none', model: null, dimensions: null, indexed: 0, pending: 0, lastError: null, enabled: false})
    }
    const status = indexer.status()
    if (narrowed) return respond(c, 'GET /api/embedding/status', {...status, indexed: null, pending: null, enabled: true})
    return respond(c, 'GET /api/embedding/status', {...status, enabled: true})
  })
}
