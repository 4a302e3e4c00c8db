import http, {type IncomingMessage, type RequestOptions} from 'node:http'

import {SIGNET_VERSION} from '../version.js'

/*
 * The hook's own tiny HTTP transport. DESIGN names DaemonClient (ky) as the one HTTP client, but
 * the prompt hook runs before every model call and importing ky adds ~45 ms per call (measured:
 * node:http request 86 ms vs ky 124 ms p50 against a 68 ms bare node), which alone would miss
 * BENCHMARKS B1. So the hot path speaks node:http directly: one POST, JSON in and out, a hard
 * deadline, the same headers DaemonClient sends. Everything else keeps using DaemonClient.
 */

export type HookFailureKind = 'offline' | 'timeout' | 'http' | 'invalid-json'

export class HookTransportError extends Error {
  constructor(
    readonly kind: HookFailureKind,
    message: string,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message)
    this.name = 'HookTransportError'
  }
}

export interface HookRequest {
  url: string
  apiKey?: string
  harness: string
  path: string
  body: unknown
  timeoutMs: number
}

const MAX_RESPONSE_BYTES = 4 * 1024 * 1024

export async function postHookJson<T>(request: HookRequest): Promise<T> {
  const target = new URL(request.path, request.url)
  // Static node:http (it also loads node:net, which reading stdin needs first); https only for remote daemons.
  const client = target.protocol === 'https:' ? await import('node:https') : http
  const payload = Buffer.from(JSON.stringify(request.body), 'utf8')
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': payload.length,
    'x-signet-harness': request.harness,
    'x-signet-connector-version': SIGNET_VERSION,
    // One request per process: no keep-alive socket left to hold the process open.
    connection: 'close',
  }
  if (request.apiKey) headers.authorization = `Bearer ${request.apiKey}`
  const options: RequestOptions = {method: 'POST', headers, agent: false}

  return new Promise<T>((resolve, reject) => {
    let settled = false
    const fail = (error: HookTransportError) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      req.destroy()
      reject(error)
    }
    const timer = setTimeout(() => fail(new HookTransportError('timeout', `no answer within ${request.timeoutMs} ms`)), request.timeoutMs)
    const req = client.request(target, options, (response: IncomingMessage) => {
      const chunks: Buffer[] = []
      let size = 0
      response.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size > MAX_RESPONSE_BYTES) fail(new HookTransportError('invalid-json', 'response too large'))
        else chunks.push(chunk)
      })
      response.on('error', () => fail(new HookTransportError('offline', 'connection dropped while reading the answer')))
      response.on('end', () => {
        if (settled) return
        const status = response.statusCode ?? 0
        const text = Buffer.concat(chunks).toString('utf8')
        let body: unknown
        try {
          body = text ? JSON.parse(text) : undefined
        } catch {
          body = undefined
        }
        if (status < 200 || status >= 300) {
          const envelope = (body ?? {}) as {error?: unknown; code?: unknown}
          const code = typeof envelope.code === 'string' ? envelope.code : `http_${status}`
          const detail = typeof envelope.error === 'string' ? `: ${envelope.error}` : ''
          fail(new HookTransportError('http', `HTTP ${status} ${code}${detail}`, status, code))
          return
        }
        if (body === undefined || body === null || typeof body !== 'object') {
          fail(new HookTransportError('invalid-json', `HTTP ${status} with a body that is not a JSON object`, status))
          return
        }
        settled = true
        clearTimeout(timer)
        resolve(body as T)
      })
    })
    req.on('error', (error: NodeJS.ErrnoException) => fail(new HookTransportError('offline', error.code ?? error.message)))
    req.end(payload)
  })
}
