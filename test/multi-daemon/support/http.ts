import {Agent, request} from 'node:http'

/**
 * A JSON client over node:http with keep-alive, one connection pool per source address. Each
 * request can come from its own loopback address (`from: '127.0.0.7'`: Linux routes all of
 * 127/8 to lo), which is what the daemons key their auth-failure limit on, so a test that trips
 * the limit does not lock the other tests out.
 */
const agents = new Map<string, Agent>()

function agentFor(from: string): Agent {
  let agent = agents.get(from)
  if (!agent) {
    agent = new Agent({keepAlive: true, localAddress: from, maxSockets: 64})
    agents.set(from, agent)
  }
  return agent
}

/** Close every pooled connection (end of a test file). */
export function closeHttpAgents(): void {
  for (const agent of agents.values()) agent.destroy()
  agents.clear()
}

export interface JsonAnswer {
  status: number
  body: any
  headers: Record<string, string | string[] | undefined>
}

export interface JsonRequestOptions {
  body?: unknown
  headers?: Record<string, string>
  /** The loopback address the request comes from (default 127.0.0.1). */
  from?: string
  timeoutMs?: number
}

/** One request; rejects only when no answer came (connection refused or reset, timeout). */
export function jsonRequest(baseUrl: string, method: string, path: string, options: JsonRequestOptions = {}): Promise<JsonAnswer> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body)
  const headers: Record<string, string | number> = {...options.headers}
  if (payload !== undefined) {
    headers['content-type'] = 'application/json'
    headers['content-length'] = Buffer.byteLength(payload)
  }
  return new Promise((resolve, reject) => {
    const outgoing = request(
      `${baseUrl}${path}`,
      {method, headers, agent: agentFor(options.from ?? '127.0.0.1'), timeout: options.timeoutMs ?? 30_000},
      (incoming) => {
        let text = ''
        incoming.setEncoding('utf8')
        incoming.on('data', (chunk: string) => (text += chunk))
        incoming.on('error', reject)
        incoming.on('end', () => {
          let body: unknown = text
          try {
            body = text ? JSON.parse(text) : undefined
          } catch {
            // not JSON: keep the text
          }
          resolve({status: incoming.statusCode ?? 0, body, headers: incoming.headers})
        })
      },
    )
    outgoing.on('timeout', () => outgoing.destroy(new Error(`${method} ${path} got no answer in ${options.timeoutMs ?? 30_000} ms`)))
    outgoing.on('error', reject)
    outgoing.end(payload)
  })
}

export interface ServerSentEvent {
  event: string
  id?: string
  data: string
}

export interface EventStream {
  events: ServerSentEvent[]
  /** Resolves with the first event (already received or to come) that `match` accepts. */
  next(match: (event: ServerSentEvent) => boolean, timeoutMs?: number): Promise<ServerSentEvent>
  close(): void
}

/** A Server-Sent Events stream held open; resolves once the response headers arrived with 200. */
export function openEventStream(baseUrl: string, path: string, headers: Record<string, string>): Promise<EventStream> {
  return new Promise((resolve, reject) => {
    const events: ServerSentEvent[] = []
    const waiters: Array<{match: (event: ServerSentEvent) => boolean; resolve: (event: ServerSentEvent) => void}> = []
    // A connection of its own: a stream holds it for as long as it is open.
    const outgoing = request(`${baseUrl}${path}`, {method: 'GET', headers: {accept: 'text/event-stream', ...headers}, agent: false}, (incoming) => {
      if (incoming.statusCode !== 200) {
        incoming.resume()
        reject(new Error(`stream answered ${incoming.statusCode}`))
        return
      }
      let buffer = ''
      incoming.setEncoding('utf8')
      incoming.on('data', (chunk: string) => {
        buffer += chunk
        let end: number
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const event: ServerSentEvent = {event: 'message', data: ''}
          const data: string[] = []
          for (const line of block.split('\n')) {
            if (line.startsWith('event:')) event.event = line.slice(6).trim()
            else if (line.startsWith('id:')) event.id = line.slice(3).trim()
            else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''))
          }
          if (data.length === 0) continue
          event.data = data.join('\n')
          events.push(event)
          for (const waiter of [...waiters]) {
            if (waiter.match(event)) {
              waiters.splice(waiters.indexOf(waiter), 1)
              waiter.resolve(event)
            }
          }
        }
      })
      incoming.on('error', () => {})
      resolve({
        events,
        next: (match, timeoutMs = 10_000) => {
          const seen = events.find(match)
          if (seen) return Promise.resolve(seen)
          return new Promise((resolveEvent, rejectEvent) => {
            const timer = setTimeout(() => rejectEvent(new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(events)}`)), timeoutMs)
            waiters.push({
              match,
              resolve: (event) => {
                clearTimeout(timer)
                resolveEvent(event)
              },
            })
          })
        },
        close: () => outgoing.destroy(),
      })
    })
    outgoing.on('error', reject)
    outgoing.end()
  })
}
