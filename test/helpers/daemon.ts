import {readFileSync} from 'node:fs'
import {request as httpRequest} from 'node:http'

import {initWorkspace} from '../../src/config/workspace.js'
import {startServer, type RunningServer} from '../../src/daemon/server.js'
import type {SqliteDatabase} from '../../src/store/db.js'
import {SqliteStorage} from '../../src/store/sqlite/storage.js'
import type {Storage} from '../../src/store/storage.js'
import {makeTempHome, type TempHome} from './temp-home.js'
import {testBackend, type TestBackend, useBackend} from './test-backend.js'

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
  /** Where this daemon keeps its data: SQLite (the default) or a fresh PostgreSQL database of the run's cluster. */
  backend: TestBackend
  /** A request with JSON helpers, as the owner by default (see TestRequestOptions.via); headers pass through untouched. */
  request(method: string, path: string, options?: TestRequestOptions): Promise<{status: number; body: any; headers: Headers}>
  /** The current `.daemon/admin.token`: the owner's credential over loopback TCP. */
  adminToken(): string
  stop(): Promise<void>
}

export interface StartTestDaemonOptions {
  /** Replaces the default agent.yaml (a postgres backend adds its `storage` section to it). */
  agentYaml?: string
  /** Set in the test process while the daemon starts. */
  env?: Record<string, string>
  /** Default: SIGNET_TEST_BACKEND (`npm run test:postgres` sets postgres), else sqlite. */
  backend?: TestBackend
}

/**
 * A real daemon (real HTTP on loopback, real storage: the workspace's SQLite file, or a fresh
 * database on the run's PostgreSQL cluster, dropped by stop()) in a temp workspace on a free port,
 * running in the test process.
 */
export async function startTestDaemon(options: StartTestDaemonOptions = {}): Promise<TestDaemon> {
  const temp = makeTempHome()
  initWorkspace(temp.workspace)
  if (options.agentYaml !== undefined) {
    const {writeFileSync} = await import('node:fs')
    writeFileSync(`${temp.workspace}/agent.yaml`, options.agentYaml)
  }
  const backend = options.backend ?? testBackend
  let storage: Awaited<ReturnType<typeof useBackend>>
  try {
    storage = await useBackend(temp.workspace, backend)
  } catch (error) {
    temp.cleanup()
    throw error
  }
  const saved: Record<string, string | undefined> = {}
  for (const [key, value] of Object.entries(options.env ?? {})) {
    saved[key] = process.env[key]
    process.env[key] = value
  }
  let server: RunningServer
  try {
    server = await startServer({workspace: temp.workspace, port: 0})
  } catch (error) {
    await storage.drop()
    temp.cleanup()
    throw error
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
    const response =
      via === 'tcp'
        ? await fetch(`${server.url}${path}`, {method, headers, body}).then(async (answer) => ({
            status: answer.status,
            text: await answer.text(),
            headers: answer.headers,
          }))
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
    backend,
    request,
    adminToken: () => readFileSync(`${temp.workspace}/.daemon/admin.token`, 'utf8').trim(),
    stop: async () => {
      await server.close()
      await storage.drop()
      temp.cleanup()
    },
  }
}

/**
 * Every row of one of the daemon's tables, read through the storage's table copy, which gives the
 * same representation on every backend (SQLite column names, ISO times, JSON text for lists): for
 * tests that check what the daemon stored, on SQLite and PostgreSQL alike.
 */
export async function storedRows(from: {context: {storage: Storage}} | Storage, table: string): Promise<Array<Record<string, unknown>>> {
  const {tables} = 'context' in from ? from.context.storage : from
  const found = (await tables.tables()).find((entry) => entry.name === table)
  if (!found) throw new Error(`no table ${table} in the storage's table copy`)
  const keys = found.key.split(',')
  const rows: Array<Record<string, unknown>> = []
  let after: string | number | null = null
  for (;;) {
    const page = await tables.read(table, after, 1000)
    rows.push(...page)
    if (page.length < 1000) return rows
    const last = page.at(-1)!
    after = keys.length === 1 ? (last[keys[0]] as string | number) : JSON.stringify(keys.map((key) => last[key]))
  }
}

/**
 * What the backend's own consistency check finds (empty when all is well): PRAGMA integrity_check
 * of the SQLite file, or the PostgreSQL storage's health. For tests that throw hostile input at the
 * daemon and then make sure nothing was damaged.
 */
export async function storageProblems(server: Pick<RunningServer, 'context'>): Promise<string[]> {
  const storage = server.context.storage
  if (storage instanceof SqliteStorage) {
    const verdict = storage.database.pragma('integrity_check', {simple: true})
    return verdict === 'ok' ? [] : [String(verdict)]
  }
  const health = await storage.health({deep: true})
  return health.ok ? [] : health.problems.length > 0 ? health.problems : ['not ok']
}

/**
 * The SQLite connection behind a test daemon's storage, for the few tests about the SQLite file
 * itself; anything a backend stores is read with storedRows or the repositories instead.
 */
export function sqliteDatabaseOf(server: Pick<RunningServer, 'context'>): SqliteDatabase {
  const storage = server.context.storage
  if (!(storage instanceof SqliteStorage)) throw new Error(`this test reads SQLite rows; the daemon runs on ${storage.backend}`)
  return storage.database
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
