import {chmodSync, mkdirSync, realpathSync, rmSync, statSync} from 'node:fs'
import {createServer, type IncomingMessage, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'

import {getRequestListener, serve} from '@hono/node-server'

import {ARRIVED_ON_LOCAL_SOCKET, MAX_SOCKET_PATH_BYTES, socketPathUsable} from '../client/local-socket.js'
import {loadAgentConfig} from '../config/agent-config.js'
import {resolveListenSettings} from '../config/network.js'
import {workspacePaths} from '../config/paths.js'
import {SourceStore} from '../store/sources.js'
import {openStorage} from '../store/open-storage.js'
import {defaultRecallWorkers} from '../store/sqlite/recall-workers.js'
import {openSqliteStorage, SqliteStorage} from '../store/sqlite/storage.js'
import {SIGNET_VERSION} from '../version.js'
import {closeAgentNetwork} from './agent-network.js'
import {createApp} from './app.js'
import {issueAdminToken} from './auth/auth-state.js'
import type {DaemonContext} from './context.js'
import {DaemonLogger} from './logger.js'
import {startSourceScan} from './source-scan.js'
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
  /** The owner's Unix socket (`.daemon/signet.sock`), or undefined when the path is too long for the platform. */
  socketPath?: string
  /** Stop accepting connections, let in-flight requests finish, close the database. */
  close(): Promise<void>
}

/** Start the HTTP server for a workspace (no pid/lock handling: see process.ts). */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  // Everything the daemon creates (database, WAL, logs, tokens, the socket) is for its owner only.
  setOwnerOnlyUmask()
  const paths = workspacePaths(options.workspace)
  mkdirSync(paths.daemonDir, {recursive: true, mode: 0o700})
  // A directory made by an older version may be 0755: the socket's protection is this directory.
  chmodSync(paths.daemonDir, 0o700)
  const config = loadAgentConfig(options.workspace)
  const listen = resolveListenSettings(config)
  if (options.port !== undefined) listen.port = options.port
  const logger = new DaemonLogger(paths.logFile, options.echoLogs ?? false)
  // The one place the daemon opens its storage (the layer rules keep every other daemon file from
  // opening a database): SQLite or PostgreSQL, as agent.yaml's storage section says.
  // On SQLite, recalls rank on worker threads beside the main thread (bench/README.md, "B4: 32 clients, recall on worker threads").
  const storage = await openStorage(config, paths, {logger, recallWorkers: defaultRecallWorkers()})
  // Sources index this machine's folders, so they live in the workspace's local SQLite file on every
  // backend (docs/architecture.md, Storage); on SQLite they share the storage's connection.
  const local = storage instanceof SqliteStorage ? storage : openSqliteStorage(paths.dbPath, {indexInBackground: false})
  const closeStorage = async () => {
    await storage.close()
    if (local !== storage) await local.close()
  }
  const context: DaemonContext = {
    workspace: options.workspace,
    paths,
    config,
    listen,
    storage,
    sources: new SourceStore(local.database, [realpathSync(paths.daemonDir)]),
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
    await closeStorage()
    const code = (error as {code?: string}).code
    if (code === 'EADDRINUSE') {
      throw Object.assign(new Error(`port ${listen.port} on ${listen.bindHost} is already in use — set network.port in agent.yaml or SIGNET_PORT`), {code})
    }
    throw error
  }
  let socket: {server: Server; inode: number} | undefined
  try {
    socket = await listenOnOwnerSocket(paths.socketFile, getRequestListener(app.fetch), logger)
  } catch (error) {
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await closeStorage()
    throw error
  }
  const port = (server.address() as AddressInfo).port
  listen.port = port
  const dialHost = listen.bindHost === '0.0.0.0' || listen.bindHost === '::' ? '127.0.0.1' : listen.bindHost
  const url = `http://${dialHost.includes(':') ? `[${dialHost}]` : dialHost}:${port}`
  context.url = url
  const harnessSync = startHarnessSync(context)
  const sourceScan = startSourceScan(context)
  if (listen.authModeWarning) logger.warn(listen.authModeWarning)
  logger.info('daemon listening', {
    url,
    socket: socket ? paths.socketFile : null,
    bindHost: listen.bindHost,
    authMode: listen.effectiveAuthMode,
    version: SIGNET_VERSION,
  })

  let closing: Promise<void> | undefined
  const close = () => {
    closing ??= (async () => {
      harnessSync.stop()
      // Open agent event streams would otherwise hold the server open forever.
      closeAgentNetwork(context)
      const tcpClosed = closeServer(server as unknown as Server)
      await Promise.all([tcpClosed, socket ? closeOwnerSocket(socket, paths.socketFile) : undefined])
      await sourceScan.stop()
      await closeStorage()
      logger.info('daemon stopped')
    })()
    return closing
  }
  return {context, url, port, socketPath: socket ? paths.socketFile : undefined, close}
}

function setOwnerOnlyUmask(): void {
  try {
    process.umask(0o077)
  } catch {
    // worker threads cannot change the umask; files keep their explicit modes and .daemon/ is 0700
  }
}

/**
 * The owner's channel: an HTTP server on `.daemon/signet.sock`. Requests on it are marked so the
 * auth middleware trusts them as the local owner — reaching the socket at all takes the file
 * permission of the 0700 `.daemon/` directory. The daemon lock guarantees one daemon per
 * workspace, so a socket file already there is a leftover of a daemon that died: replace it.
 */
async function listenOnOwnerSocket(
  socketFile: string,
  listener: (incoming: IncomingMessage, outgoing: Parameters<ReturnType<typeof getRequestListener>>[1]) => Promise<void>,
  logger: DaemonLogger,
): Promise<{server: Server; inode: number} | undefined> {
  if (!socketPathUsable(socketFile)) {
    logger.warn(
      `the owner socket path is longer than ${MAX_SOCKET_PATH_BYTES} bytes (${socketFile}); running without it — local clients use the 0600 admin token over loopback TCP instead. Move the workspace to a shorter path to get the socket back.`,
    )
    return undefined
  }
  rmSync(socketFile, {force: true})
  const server = createServer((incoming, outgoing) => {
    ;(incoming as unknown as Record<symbol, boolean>)[ARRIVED_ON_LOCAL_SOCKET] = true
    void listener(incoming, outgoing)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(socketFile, () => {
      server.off('error', reject)
      resolve()
    })
  })
  chmodSync(socketFile, 0o600)
  return {server, inode: statSync(socketFile).ino}
}

/** Stop taking owner requests at once (the file goes first), then let in-flight ones finish. */
async function closeOwnerSocket(socket: {server: Server; inode: number}, socketFile: string): Promise<void> {
  try {
    // Only our own socket: never a file a newer daemon put there.
    if (statSync(socketFile).ino === socket.inode) rmSync(socketFile, {force: true})
  } catch {
    // already gone
  }
  await closeServer(socket.server)
}

/**
 * Stop listening and let in-flight requests finish. A keep-alive connection is closed as soon as it
 * is idle: once now, then again while requests finish (a recall waiting for a worker thread keeps its
 * connection busy past the first sweep), so close() does not wait out the keep-alive timeout.
 */
function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    const sweep = setInterval(() => server.closeIdleConnections(), 20)
    server.close(() => {
      clearInterval(sweep)
      resolve()
    })
    server.closeIdleConnections()
  })
}
