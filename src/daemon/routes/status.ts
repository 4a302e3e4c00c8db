import {Hono} from 'hono'

import {resolveStorageSettings} from '../../config/storage-settings.js'
import {describeStorage} from '../../store/open-storage.js'
import {visibleToCaller} from '../auth/scope.js'
import type {AppEnv, DaemonContext} from '../context.js'
import {databaseHealth} from '../database-guard.js'
import {respond} from '../respond.js'

export function statusRoutes(daemon: DaemonContext) {
  return new Hono<AppEnv>().get('/api/status', async (c) => {
    // Filesystem paths are for the machine's owner, not for remote agent keys.
    const principal = c.get('principal')
    const revealPaths = principal.role === 'admin'
    const database = databaseHealth(daemon, {revealPaths})
    return respond(c, 'GET /api/status', {
      status: database.status === 'ok' ? 'running' : 'degraded',
      database,
      version: daemon.version,
      pid: process.pid,
      uptime: Math.round((Date.now() - daemon.startedAt) / 1000),
      startedAt: new Date(daemon.startedAt).toISOString(),
      url: daemon.url,
      bindHost: daemon.listen.bindHost,
      port: daemon.listen.port,
      networkMode: daemon.listen.networkMode,
      authMode: daemon.listen.effectiveAuthMode,
      configuredAuthMode: daemon.listen.configuredAuthMode,
      authModeWarning: daemon.listen.authModeWarning ?? null,
      workspace: revealPaths ? daemon.workspace : null,
      dbPath: revealPaths ? daemon.paths.dbPath : null,
      // Only what the caller may read: a scoped key sees its agent's (and projects') count, not the store's.
      memoryCount: await daemon.storage.memories.count(visibleToCaller(principal)),
      storage: {backend: daemon.storage.backend, location: revealPaths ? describeStorage(resolveStorageSettings(daemon.config), daemon.paths) : null},
      embedding: {provider: daemon.config.embedding.provider, model: daemon.config.embedding.model ?? null},
    })
  })
}
