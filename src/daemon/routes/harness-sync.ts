import {Hono} from 'hono'
import {z} from 'zod'

import {requirePermission} from '../auth/principal.js'
import type {AppEnv, DaemonContext} from '../context.js'
import {readJsonBody} from '../request-validation.js'
import {harnessSyncFor} from '../sync.js'

// Nothing to configure: the harness list comes from agent.yaml. Unknown fields are refused, not ignored.
const regenerateBody = z.object({}).strict()

/** `POST /api/harnesses/regenerate`: rewrite the synced instruction files now (docs/architecture.md, Harness sync). */
export function harnessSyncRoutes(daemon: DaemonContext) {
  const app = new Hono<AppEnv>()

  app.post('/api/harnesses/regenerate', async (c) => {
    requirePermission(c.get('principal'), 'harnesses')
    await readJsonBody(c, regenerateBody)
    return c.json(harnessSyncFor(daemon).regenerate())
  })

  return app
}
