import {Hono} from 'hono'

import {diagnosticsDbQuery} from '../../api/status.js'
import type {DatabaseIntegrity} from '../../diagnostics/db-integrity.js'
import {requirePermission} from '../auth/principal.js'
import type {AppEnv, DaemonContext} from '../context.js'
import {readQuery} from '../request-validation.js'
import {respond} from '../respond.js'

/** Checks `signet doctor` asks the running daemon for, since only the daemon opens the database while it runs. */
export function diagnosticsRoutes(daemon: DaemonContext) {
  return new Hono<AppEnv>().get('/api/diagnostics/db', async (c) => {
    requirePermission(c.get('principal'), 'admin')
    const {pages} = readQuery(c, diagnosticsDbQuery)
    const started = performance.now()
    const health = await daemon.storage.health({deep: pages === undefined ? 'auto' : pages === 'true'})
    if (!health.ok) daemon.logger.warn('database quick_check found problems', {problems: health.problems.length})
    const result: DatabaseIntegrity & {backend: typeof health.backend; details: typeof health.details} = {
      ok: health.ok,
      problems: health.problems,
      schemaVersion: health.schemaVersion,
      latestSchemaVersion: health.latestSchemaVersion,
      journalMode: String(health.details.journalMode ?? ''),
      sizeBytes: Number(health.details.sizeBytes ?? 0),
      checkedBy: 'daemon',
      pagesChecked: health.backend === 'sqlite' && health.details.quickCheck === true,
      ms: Math.round(performance.now() - started),
      backend: health.backend,
      details: health.details,
    }
    return respond(c, 'GET /api/diagnostics/db', result)
  })
}
