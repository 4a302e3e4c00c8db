import {type IncomingMessage, request as httpRequest, type RequestOptions} from 'node:http'
import {request as httpsRequest} from 'node:https'

import {Flags} from '@oclif/core'

import {SignetCommand} from '../../cli/base-command.js'

export default class AgentWatch extends SignetCommand<typeof AgentWatch> {
  static override description = "Follow an agent's messages live (new messages, deliveries and acks) until interrupted"
  static override examples = ['<%= config.bin %> agent watch', '<%= config.bin %> agent watch --agent-id codex --json']
  static override flags = {
    'agent-id': Flags.string({description: 'agent to follow (default: the key scope or "default")', env: 'SIGNET_AGENT_ID'}),
    json: Flags.boolean({description: 'one JSON event per line'}),
    since: Flags.integer({description: 'replay events after this event id first', min: 0}),
  }

  public async run(): Promise<void> {
    const {resolveDaemonEndpoint} = await import('../../client/resolve-endpoint.js')
    const endpoint = resolveDaemonEndpoint({workspace: this.resolveWorkspace().path})
    const apiKey = endpoint.apiKey ?? (await endpoint.apiKeyLookup?.())
    if (endpoint.unreachable) this.error(`${endpoint.unreachable} — start it with \`signet daemon start\``, {exit: 1})
    const url = new URL(`${endpoint.url.replace(/(?<!\/)\/+$/, '')}/api/agents/stream`)
    if (this.flags['agent-id']) url.searchParams.set('agentId', this.flags['agent-id'])
    let lastEventId = this.flags.since
    const abort = new AbortController()
    process.once('SIGINT', () => abort.abort())
    // Reconnect after a dropped connection, resuming from the last event seen.
    while (!abort.signal.aborted) {
      const headers: Record<string, string> = {accept: 'text/event-stream'}
      if (apiKey) headers.authorization = `Bearer ${apiKey}`
      if (lastEventId !== undefined) headers['last-event-id'] = String(lastEventId)
      let response: IncomingMessage
      try {
        response = await openStream(url, headers, endpoint.socketPath, abort.signal)
      } catch (error) {
        if (abort.signal.aborted) return
        this.warn(`daemon not reachable at ${endpoint.url} (${(error as Error).message}); retrying`)
        await new Promise((resolve) => setTimeout(resolve, 2000))
        continue
      }
      if (response.statusCode !== 200) {
        let text = ''
        for await (const chunk of response) text += chunk
        this.error(`daemon refused the stream (${response.statusCode}): ${text.slice(0, 500)}`, {exit: 1})
      }
      try {
        for await (const event of readEvents(response)) {
          if (event.id !== undefined) lastEventId = Number(event.id)
          if (this.flags.json) this.log(JSON.stringify({id: event.id, event: event.event, data: safeJson(event.data)}))
          else this.log(describe(event))
        }
      } catch (error) {
        if (abort.signal.aborted) return
        this.warn(`stream interrupted (${(error as Error).message}); reconnecting`)
      }
      if (!abort.signal.aborted) await new Promise((resolve) => setTimeout(resolve, 500))
    }
  }
}

interface ServerSentEvent {
  id?: string
  event?: string
  data: string
}

/**
 * The stream over node:http: the workspace's own daemon is reached through its owner socket (the
 * only way a keyless local client may talk to it), a remote one at its URL with the key.
 */
function openStream(url: URL, headers: Record<string, string>, socketPath: string | undefined, signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const path = `${url.pathname}${url.search}`
    const options: RequestOptions = socketPath
      ? {socketPath, path, headers: {...headers, host: 'localhost'}, signal}
      : {host: url.hostname, port: url.port, path, headers, signal}
    const request = (url.protocol === 'https:' && !socketPath ? httpsRequest : httpRequest)(options, resolve)
    request.once('error', reject)
    request.end()
  })
}

async function* readEvents(body: AsyncIterable<Buffer | string>): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder()
  let buffer = ''
  for await (const chunk of body) {
    if (typeof chunk === 'string') {
      buffer += chunk
    } else {
      buffer += decoder.decode(chunk, {stream: true})
    }
    let end: number
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const event: ServerSentEvent = {data: ''}
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue
        const colon = line.indexOf(':')
        const field = colon < 0 ? line : line.slice(0, colon)
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
        if (field === 'id') event.id = value
        else if (field === 'event') event.event = value
        else if (field === 'data') event.data += (event.data ? '\n' : '') + value
      }
      if (event.event || event.data) yield event
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

function describe(event: ServerSentEvent): string {
  const data = safeJson(event.data) as
    {message?: {id: string; from: {agent: string}; to: string; subject: string | null; body: string}; agent?: string} | string
  if (typeof data !== 'object' || data === null) return `${event.event ?? 'event'} ${event.data}`
  if (event.event === 'ready') return `watching messages for ${data.agent}`
  const message = data.message
  if (!message) return `${event.event} (message gone)`
  if (event.event === 'message')
    return `[${event.id}] message ${message.id} from ${message.from.agent} to ${message.to}${message.subject ? ` — ${message.subject}` : ''}: ${message.body}`
  return `[${event.id}] ${event.event} ${message.id} (${message.from.agent} → ${message.to})`
}
