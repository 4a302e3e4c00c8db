import type {AddressInfo} from 'node:net'

import {serve} from '@hono/node-server'

import {loadAgentConfig} from '../config/agent-config.js'
import {resolveListenSettings} from '../config/network.js'
import {workspacePaths} from '../config/paths.js'
import {openDatabase} from '../store/db.js'
import {startEmbedding} from '../store/embed/runtime.js'
import {MemoryStore} from '../store/memories.js'
import {MemorySearch} from '../store/search.js'
import {SIGNET_VERSION} from '../version.js'
import {closeAgentNetwork} from './agent-network.js'
import {createApp} from './app.js'
import {issueAdminToken} from './auth/auth-state.js'
import type {DaemonContext} from './context.js'
import {DaemonLogger} from './logger.js'
import {startHarnessSync} from './sync.js'

export interface StartServerOptions {
  workspace: string
  /** Override the configured port (0 = any free port, used by tests). */
  port?: number
  /** Also print log lines to stdout (foreground `daemon run`). */
  echoLogs?: boolean
}

export interface RunningServer {
  context: DaemonContext
  url: string
  port: number
  /** Stop accepting connections, let in-flight requests finish, close the database. */
  close(): Promise<void>
}

/** Start the HTTP server for a workspace (no pid/lock handling: see process.ts). */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const paths = workspacePaths(options.workspace)
  const config = loadAgentConfig(options.workspace)
  const listen = resolveListenSettings(config)
  if (options.port !== undefined) listen.port = options.port
  const logger = new DaemonLogger(paths.logFile, options.echoLogs ?? false)
  const db = openDatabase(paths.dbPath)
  const embedding = startEmbedding(db, config.embedding, logger)
  const context: DaemonContext = {
    workspace: options.workspace,
    paths,
    config,
    listen,
    db,
    memories: new MemoryStore(db),
    search: new MemorySearch(db, embedding.searchOptions),
    embedding: embedding.indexer,
    logger,
    startedAt: Date.now(),
    version: SIGNET_VERSION,
    url: '',
  }
  issueAdminToken(context)
  const app = createApp(context)
  let server: ReturnType<typeof serve>
  try {
    server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
      const instance = serve({fetch: app.fetch, port: listen.port, hostname: listen.bindHost}, () => resolve(instance))
      instance.once('error', reject)
    })
  } catch (error) {
    await embedding.stop()
    db.close()
    const code = (error as {code?: string}).code
    if (code === 'EADDRINUSE') {
      throw Object.assign(new Error(`port ${listen.port} on ${listen.bindHost} is already in use — set network.port in agent.yaml or SIGNET_PORT`), {code})
    }
    throw error
  }
  const port = (server.address() as AddressInfo).port
  listen.port = port
  const dialHost = listen.bindHost === '0.0.0.0' || listen.bindHost === '::' ? '127.0.0.1' : listen.bindHost
  const url = `http://${dialHost.includes(':') ? `[${dialHost}]` : dialHost}:${port}`
  context.url = url
  const harnessSync = startHarnessSync(context)
  if (listen.authModeWarning) logger.warn(listen.authModeWarning)
  logger.info('daemon listening', {url, bindHost: listen.bindHost, authMode: listen.effectiveAuthMode, version: SIGNET_VERSION})

  let closing: Promise<void> | undefined
  const close = () => {
    closing ??= new Promise<void>((resolve) => {
      harnessSync.stop()
      // Open agent event streams would otherwise hold the server open forever.
      closeAgentNetwork(context)
      server.close(async () => {
        await embedding.stop()
        db.close()
        logger.info('daemon stopped')
        resolve()
      })
      // Idle keep-alive sockets would hold close() open; in-flight requests still finish.
      ;(server as unknown as {closeIdleConnections?: () => void}).closeIdleConnections?.()
    })
    return closing
  }
  return {context, url, port, close}
}
