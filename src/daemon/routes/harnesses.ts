import {Hono} from 'hono'

import {HOOK_HARNESSES} from '../../hooks/events.js'
import {requirePermission} from '../auth/principal.js'
import {visibleToCaller} from '../auth/scope.js'
import type {AppEnv, DaemonContext} from '../context.js'
import {respond} from '../respond.js'

/** GET /api/harnesses: each configured or seen harness with when its hooks last reached the daemon. */
export function harnessRoutes(daemon: DaemonContext) {
  const app = new Hono<AppEnv>()
  app.get('/api/harnesses', async (c) => {
    const principal = c.get('principal')
    requirePermission(principal, 'harnesses')
    const sightings = await daemon.storage.sessions.sightings(visibleToCaller(principal).agentId)
    const configured = new Set(daemon.config.harnesses)
    const names = [...new Set([...daemon.config.harnesses, ...sightings.map((sighting) => sighting.harness)])]
    const harnesses = names.map((name) => {
      const seen = sightings.filter((sighting) => sighting.harness === name)
      return {
        name,
        configured: configured.has(name),
        known: (HOOK_HARNESSES as readonly string[]).includes(name),
        lastSeen: seen[0]?.lastSeenAt ?? null,
        lastEvent: seen[0]?.lastEvent ?? null,
        seenBy: seen.map((sighting) => ({
          agentId: sighting.agentId,
          machineId: sighting.machineId,
          lastSeen: sighting.lastSeenAt,
          lastEvent: sighting.lastEvent,
        })),
      }
    })
    harnesses.sort((a, b) => (b.lastSeen ?? '').localeCompare(a.lastSeen ?? '') || a.name.localeCompare(b.name))
    return respond(c, 'GET /api/harnesses', {harnesses})
  })

  return app
}
