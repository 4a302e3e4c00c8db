import {readFileSync} from 'node:fs'
import {request as httpRequest} from 'node:http'

import {initWorkspace} from '../../src/config/workspace.js'
import {startServer, type RunningServer} from '../../src/daemon/server.js'
import type {SqliteDatabase} from '../../src/store/db.js'
import {MemoryStore} from '../../src/store/memories.js'
import {SqliteStorage} from '../../src/store/sqlite/storage.js'
import {makeTempHome, type TempHome} from './temp-home.js'

export interface TestRequestOptions {
  body?: unknown
  rawBody?: string
  headers?: Record<string, string>
  /**
   * How to reach the daemon. 'socket' (the default without an Authorization header): the owner's
   * Unix socket, as the CLI does. 'tcp' (the default with one, or with a forwarding header):
   * loopback TCP, headers as given — without a credential that is an anonymous caller, never the owner.
   */
  via?: 'socket' | 'tcp'
}

export interface TestDaemon extends RunningServer {
  temp: TempHome
  workspace: string
  /** A request with JSON helpers, as the owner by default (see TestRequestOptions.via); headers pass through untouched. */
  request(method: string, path: string, options?: TestRequestOptions): Promise<{status: number; body: any; headers: Headers}>
  /** The current `.daemon/admin.token`: the owner's credential over loopback TCP. */
  adminToken(): string
  stop(): Promise<void>
}

/**
 * A real daemon (real HTTP on loopback, real SQLite file) in a temp workspace on a free port,
 * running in the test process. `agentYaml` replaces the default agent.yaml when given.
 */
export async function startTestDaemon(options: {agentYaml?: string; env?: Record<string, string>} = {}): Promise<TestDaemon> {
  const temp = makeTempHome()
  initWorkspace(temp.workspace)
  if (options.agentYaml !== undefined) {
    const {writeFileSync} = await import('node:fs')
    writeFileSync(`${temp.workspace}/agent.yaml`, options.agentYaml)
  }
  const saved: Record<string, string | undefined> = {}
  for (const [key, value] of Object.entries(options.env ?? {})) {
    saved[key] = process.env[key]
    process.env[key] = value
  }
  let server: RunningServer
  try {
    server = await startServer({workspace: temp.workspace, port: 0})
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key]
      else process.env[key] = value
    }
  }
  const request: TestDaemon['request'] = async (method, path, requestOptions = {}) => {
    const headers: Record<string, string> = {...requestOptions.headers}
    let body: string | undefined = requestOptions.rawBody
    if (requestOptions.body !== undefined) {
      body = JSON.stringify(requestOptions.body)
      headers['content-type'] ??= 'application/json'
    }
    const names = Object.keys(headers).map((name) => name.toLowerCase())
    // A credential, or a forwarding header (a test playing a proxied peer), means TCP by default.
    const tcpByDefault = names.some((name) => ['authorization', 'forwarded', 'x-forwarded-for', 'x-real-ip'].includes(name))
    const via = requestOptions.via ?? (tcpByDefault ? 'tcp' : 'socket')
    const response = via === 'tcp'
      ? await fetch(`${server.url}${path}`, {method, headers, body}).then(async (answer) => ({status: answer.status, text: await answer.text(), headers: answer.headers}))
      : await overSocket(server.socketPath!, method, path, headers, body)
    let parsed: unknown = response.text
    try {
      parsed = response.text ? JSON.parse(response.text) : undefined
    } catch {
      // leave as text
    }
    return {status: response.status, body: parsed, headers: response.headers}
  }
  return {
    ...server,
    temp,
    workspace: temp.workspace,
    request,
    adminToken: () => readFileSync(`${temp.workspace}/.daemon/admin.token`, 'utf8').trim(),
    stop: async () => {
      await server.close()
      temp.cleanup()
    },
  }
}

/**
 * The SQLite connection behind a test daemon's storage: tests look at rows directly to check what
 * the daemon stored (the daemon itself only reaches it through its repositories).
 */
export function sqliteDatabaseOf(server: Pick<RunningServer, 'context'>): SqliteDatabase {
  const storage = server.context.storage
  if (!(storage instanceof SqliteStorage)) throw new Error(`this test reads SQLite rows; the daemon runs on ${storage.backend}`)
  return storage.database
}

const memoryStores = new WeakMap<SqliteDatabase, MemoryStore>()

/** The synchronous memory store over a test daemon's database, for seeding and counting in tests. */
export function memoryStoreOf(server: Pick<RunningServer, 'context'>): MemoryStore {
  const db = sqliteDatabaseOf(server)
  let store = memoryStores.get(db)
  if (!store) {
    store = new MemoryStore(db)
    memoryStores.set(db, store)
  }
  return store
}

/** One HTTP request on a Unix socket (fetch cannot dial one). */
export function overSocket(
  socketPath: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{status: number; text: string; headers: Headers}> {
  return new Promise((resolve, reject) => {
    // Node sends a DELETE's body without Content-Length or chunking unless told its length.
    const length: Record<string, string> = body === undefined ? {} : {'content-length': String(Buffer.byteLength(body))}
    const request = httpRequest({socketPath, method, path, headers: {host: 'localhost', ...length, ...headers}}, (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('error', reject)
      response.on('end', () => {
        const responseHeaders = new Headers()
        for (const [name, value] of Object.entries(response.headers)) {
          if (value !== undefined) responseHeaders.set(name, Array.isArray(value) ? value.join(', ') : value)
        }
        resolve({status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), headers: responseHeaders})
      })
    })
    request.on('error', reject)
    request.end(body)
  })
}
