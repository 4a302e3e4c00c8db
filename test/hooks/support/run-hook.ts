import {spawn} from 'node:child_process'
import {createServer, type Server, type Socket} from 'node:net'

import {RUN_JS} from '../../helpers/cli.js'

export interface HookRun {
  code: number
  stdout: string
  stderr: string
  elapsedMs: number
}

/**
 * Spawn `signet hook …` exactly as a harness does: JSON on stdin, read stdout and stderr.
 * `keepStdinOpen` writes the payload but never closes the pipe (some harness builds do that).
 */
export function runHook(
  args: string[],
  options: {env: NodeJS.ProcessEnv; input?: string; cwd?: string; keepStdinOpen?: boolean; timeoutMs?: number},
): Promise<HookRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(process.execPath, [RUN_JS, 'hook', ...args], {env: options.env, cwd: options.cwd ?? options.env.HOME, stdio: ['pipe', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`signet hook ${args.join(' ')} still running after ${options.timeoutMs ?? 20_000} ms\nstderr: ${stderr}`))
    }, options.timeoutMs ?? 20_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code: code ?? -1, stdout, stderr, elapsedMs: performance.now() - started})
    })
    child.stdin.on('error', () => {
      // the hook may exit before reading everything; that is allowed
    })
    if (options.keepStdinOpen) child.stdin.write(options.input ?? '')
    else child.stdin.end(options.input ?? '')
  })
}

/** A server that accepts connections and never answers: the "daemon hangs" case (on TCP, or on a workspace's socket path). */
export async function startSilentServer(options: {socketPath?: string} = {}): Promise<{server: Server; url: string; close(): Promise<void>}> {
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => undefined)
    socket.on('close', () => sockets.delete(socket))
  })
  if (options.socketPath) await new Promise<void>((resolve) => server.listen(options.socketPath, resolve))
  else await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
