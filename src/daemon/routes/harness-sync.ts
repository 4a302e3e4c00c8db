import {Hono} from 'hono'

import {regenerateBody} from '../../api/status.js'
import {requirePermission} from '../auth/principal.js'
import type {AppEnv, DaemonContext} from '../context.js'
import {readJsonBody} from '../request-validation.js'
import {respond} from '../respond.js'
import {harnessSyncFor} from '../sync.js'

/** `POST /api/harnesses/regenerate`: rewrite the synced instruction files now (docs/architecture.md, Harness sync). */
export function harnessSyncRoutes(daemon: DaemonContext) {
  const app = new Hono<AppEnv>()

  app.post('/api/harnesses/regenerate', async (c) => {
    requirePermission(c.get('principal'), 'harnesses')
    await readJsonBody(c, regenerateBody)
    return respond(c, 'POST /api/harnesses/regenerate', harnessSyncFor(daemon).regenerate())
  })

  return app
}
