import {Hono} from 'hono'

import type {AppEnv, DaemonContext} from '../context.js'

export function statusRoutes(daemon: DaemonContext) {
  return new Hono<AppEnv>().get('/api/status', (c) =>
    c.json({
      status: 'running',
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
      workspace: daemon.workspace,
      dbPath: daemon.paths.dbPath,
      memoryCount: daemon.memories.count(),
      embedding: {provider: daemon.config.embedding.provider, model: daemon.config.embedding.model ?? null},
    }),
  )
}
