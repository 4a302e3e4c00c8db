import {spawn} from 'node:child_process'
import http from 'node:http'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {parseDocument} from 'yaml'

export const REPO = fileURLToPath(new URL('../..', import.meta.url))
/** The built tree under test (bin/, dist/, assets/); SIGNET_BENCH_ROOT points at a copy. */
export const ROOT = process.env.SIGNET_BENCH_ROOT ?? REPO
export const RUN_JS = path.join(ROOT, 'bin/run.js')

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address()
      server.close(() => resolve(port))
    })
  })
}

/** A temp HOME with a fresh workspace; `embedding` (provider name) is written into agent.yaml. */
export async function makeWorkspace({embedding} = {}) {
  const {initWorkspace} = await import(path.join(ROOT, 'dist/config/workspace.js'))
  const home = mkdtempSync(path.join(tmpdir(), 'signet-bench-'))
  const workspace = path.join(home, '.agents')
  initWorkspace(workspace)
  if (embedding) {
    const file = path.join(workspace, 'agent.yaml')
    const doc = parseDocument(readFileSync(file, 'utf8'))
    doc.setIn(['embedding', 'provider'], embedding)
    writeFileSync(file, doc.toString())
  }
  const env = {}
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('SIGNET_')) env[key] = value
  Object.assign(env, {HOME: home, SIGNET_WORKSPACE: workspace, NO_COLOR: '1'})
  return {home, workspace, env, cleanup: () => rmSync(home, {recursive: true, force: true})}
}

/**
 * The node flags and environment `signet daemon start` and the service units give the daemon
 * (src/daemon/memory-settings.ts), from the build under test; none for a build older than them.
 */
export async function daemonSettings() {
  try {
    const settings = await import(pathToFileURL(path.join(ROOT, 'dist/daemon/memory-settings.js')).href)
    return {flags: [...settings.DAEMON_NODE_FLAGS], env: {...settings.DAEMON_ENV}}
  } catch {
    return {flags: [], env: {}}
  }
}

/**
 * A real daemon process (`signet daemon run`) on a free loopback port in the given workspace, run
 * as `signet daemon start` runs it (its node flags, then `nodeArgs`). Resolves once /health answers.
 */
export async function startDaemon(ws, {nodeArgs = []} = {}) {
  const port = await freePort()
  const env = {...ws.env, SIGNET_PORT: String(port)}
  const settings = await daemonSettings()
  const child = spawn(process.execPath, [...settings.flags, ...nodeArgs, RUN_JS, 'daemon', 'run', '--quiet'], {
    env: {...settings.env, ...env},
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (chunk) => (stderr += chunk))
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 20_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`daemon exited with ${child.exitCode}: ${stderr}`)
    try {
      const response = await fetch(`${url}/health`)
      if (response.ok) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`daemon did not answer /health within 20 s: ${stderr}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const keepAlive = new http.Agent({keepAlive: true})
  // The bench talks to the daemon as its owner: over TCP that takes this start's 0600 admin token
  // (a loopback caller without a credential is nobody). Written before the daemon listens.
  const owner = {authorization: `Bearer ${readFileSync(path.join(ws.workspace, '.daemon', 'admin.token'), 'utf8').trim()}`}
  const daemon = {
    url,
    port,
    pid: child.pid,
    // Hooks and the CLI find the daemon as they do on a real machine: SIGNET_WORKSPACE → its socket.
    env,
    rssMb: () => rssMb(child.pid),
    cpuMs: () => cpuMs(child.pid),
    /**
     * One JSON request over node:http with a keep-alive agent. Not fetch: undici costs ~0.4 ms of
     * client CPU per request here, more than the daemon spends on /health, and the bench shares
     * the machine's cores with the daemon it measures. `agent`: another connection pool (B11
     * gives each client its own).
     */
    json(method, route, body, headers = {}, agent = keepAlive) {
      const payload = body === undefined ? undefined : JSON.stringify(body)
      return new Promise((resolve, reject) => {
        const request = http.request(
          `${url}${route}`,
          {
            method,
            agent,
            headers:
              payload === undefined
                ? {...owner, ...headers}
                : {...owner, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers},
          },
          (response) => {
            let text = ''
            response.setEncoding('utf8')
            response.on('data', (chunk) => (text += chunk))
            response.on('end', () => {
              let parsed
              try {
                parsed = text ? JSON.parse(text) : undefined
              } catch {
                parsed = text
              }
              resolve({status: response.statusCode, body: parsed})
            })
            response.on('error', reject)
          },
        )
        request.on('error', reject)
        request.end(payload)
      })
    },
    /** Wait until the background indexer has embedded every memory (no-op without an embedder). */
    async waitForVectors(timeoutMs = 600_000, onProgress) {
      const until = Date.now() + timeoutMs
      for (;;) {
        const {status, body} = await daemon.json('GET', '/api/embedding/status')
        if (status !== 200 || !body.enabled || body.pending === 0) return body
        onProgress?.(body)
        if (Date.now() > until) throw new Error(`vectors still pending after ${timeoutMs} ms: ${JSON.stringify(body)}`)
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
    },
    async stop() {
      if (child.exitCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      keepAlive.destroy()
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    },
  }
  return daemon
}

export function rssMb(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1])
    return Math.round((kb / 1024) * 10) / 10
  } catch {
    return null
  }
}

/** CPU time (user + system) a process has used so far: a figure machine load does not inflate. */
export function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    // utime and stime are fields 14 and 15 of stat, in clock ticks (USER_HZ = 100 on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return null
  }
}

/** Spawn a process, feed stdin, resolve with elapsed ms, exit code and stdout. */
export function timeSpawn(args, {env, input = ''} = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(process.execPath, args, {env, stdio: ['pipe', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => resolve({ms: performance.now() - started, code, stdout, stderr}))
    // A command that exits without reading its stdin (signet status) must not fail the bench with EPIPE.
    child.stdin.on('error', () => {})
    child.stdin.end(input)
  })
}
