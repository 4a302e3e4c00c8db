import {initWorkspace} from '../../src/config/workspace.js'
import {startServer, type RunningServer} from '../../src/daemon/server.js'
import {makeTempHome, type TempHome} from './temp-home.js'

export interface TestDaemon extends RunningServer {
  temp: TempHome
  workspace: string
  /** fetch against the daemon with JSON helpers; headers are passed through untouched. */
  request(method: string, path: string, options?: {body?: unknown; rawBody?: string; headers?: Record<string, string>}): Promise<{status: number; body: any; headers: Headers}>
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
    const response = await fetch(`${server.url}${path}`, {method, headers, body})
    const text = await response.text()
    let parsed: unknown = text
    try {
      parsed = text ? JSON.parse(text) : undefined
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
    stop: async () => {
      await server.close()
      temp.cleanup()
    },
  }
}
