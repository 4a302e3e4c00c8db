import {Hono} from 'hono'

import {checkDatabaseIntegrity} from '../../diagnostics/db-integrity.js'
import {requirePermission} from '../auth/principal.js'
import type {AppEnv, DaemonContext} from '../context.js'
import {respond} from '../respond.js'

/** Checks `signet doctor` asks the running daemon for, since only the daemon opens the database while it runs. */
export function diagnosticsRoutes(daemon: DaemonContext) {
  return new Hono<AppEnv>().get('/api/diagnostics/db', (c) => {
    requirePermission(c.get('principal'), 'admin')
    const result = checkDatabaseIntegrity(daemon.db, daemon.paths.dbPath, 'daemon')
    if (!result.ok) daemon.logger.warn('database quick_check found problems', {problems: result.problems.length})
    return respond(c, 'GET /api/diagnostics/db', result)
  })
}
