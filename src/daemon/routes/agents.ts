import {Hono} from 'hono'
import {streamSSE} from 'hono/streaming'

import {ackBody, inboxQuery, MAX_MESSAGE_BODY_BYTES, peersQuery, sendMessageBody as sendBody, streamQuery} from '../../api/agents.js'
import type {AgentEvent} from '../../store/agent-messages.js'
import {agentNetworkOf, STREAM_POLL_MS} from '../agent-network.js'
import {ApiError, notFound} from '../api-error.js'
import {requirePermission} from '../auth/principal.js'
import {ownProjectsOf, requestScope} from '../auth/scope.js'
import type {AppEnv, DaemonContext} from '../context.js'
import {readHarnessHeader} from '../request-fields.js'
import {readJsonBody, readQuery} from '../request-validation.js'
import {respond} from '../respond.js'

export function agentRoutes(daemon: DaemonContext) {
  const app = new Hono<AppEnv>()
  const network = agentNetworkOf(daemon)
  const audit = daemon.storage.audit

  app.get('/api/agents/peers', async (c) => {
    const principal = c.get('principal')
    requirePermission(principal, 'messages')
    const query = readQuery(c, peersQuery)
    const own = ownProjectsOf(principal)
    // A key limited to some projects sees the peers working in them (and those in no project).
    const peers = (await network.presence.list({agentId: query.agentId}))
      .filter((peer) => !own || peer.project === null || own.includes(peer.project))
      .filter((peer) => !query.status || peer.status === query.status)
    const agents = [...new Set(peers.map((peer) => peer.agent))]
    return respond(c, 'GET /api/agents/peers', {peers, agents, messaging: daemon.config.agents.messaging})
  })

  app.post('/api/agents/messages', async (c) => {
    const principal = c.get('principal')
    requirePermission(principal, 'messages')
    const body = await readJsonBody(c, sendBody)
    const bytes = Buffer.byteLength(body.body, 'utf8')
    if (bytes > MAX_MESSAGE_BODY_BYTES) {
      throw new ApiError(413, 'payload_too_large', `body: the message is ${bytes} bytes, over the ${MAX_MESSAGE_BODY_BYTES}-byte limit`, {field: 'body'})
    }
    // Sends only as the agent the key is scoped to (403 scope_violation otherwise), in its projects.
    const scope = requestScope(principal, {agentId: body.agentId, project: body.project})
    const from = scope.agentId
    const to = await network.resolveRecipient(body.to)
    const refuse = (reason: string) =>
      audit.record({event: 'agent_message_refused', keyId: principal.keyId, peer: principal.peer, detail: {from, to: to.address, reason}})
    try {
      await network.assertPolicyAllows({agent: from, project: scope.project}, to)
      await network.assertWithinRate(from)
    } catch (error) {
      await refuse(error instanceof ApiError ? error.code : 'error')
      throw error
    }
    if (body.replyTo) {
      const parent = await network.messages.get(body.replyTo)
      // Only a message the sender could see can be replied to; any other id looks missing.
      if (!parent || (parent.toAgent !== from && parent.from.agent !== from)) throw notFound(`replyTo: message ${body.replyTo} not found`)
    }
    // A tool call (MCP, Pi) names its session but rarely its harness or machine: the session's hooks told us.
    const session = body.sessionKey ? await network.presence.sessionOf(from, body.sessionKey) : undefined
    const harness = body.harness ?? readHarnessHeader(c) ?? session?.harness
    const {message, event, redactions} = await network.messages.send({
      from: {agent: from, machine: body.machineId ?? session?.machine, harness, session: body.sessionKey, keyId: principal.keyId},
      to,
      kind: body.kind ?? (body.replyTo ? 'reply' : 'note'),
      subject: body.subject,
      body: body.body,
      replyTo: body.replyTo,
      project: scope.project,
    })
    await audit.record({
      event: 'agent_message_sent',
      keyId: principal.keyId,
      peer: principal.peer,
      detail: {id: message.id, from, to: to.address, kind: message.kind, bytes, redactions},
    })
    network.publish([event])
    return respond(c, 'POST /api/agents/messages', {message: message, redactions}, 201)
  })

  app.get('/api/agents/inbox', async (c) => {
    const principal = c.get('principal')
    requirePermission(principal, 'messages')
    const query = readQuery(c, inboxQuery)
    // Reads only the inbox of the agent the key is scoped to.
    const agent = requestScope(principal, {agentId: query.agentId}).agentId
    const messages = await network.messages.list(agent, {box: query.box, state: query.state, thread: query.thread, limit: query.limit})
    return respond(c, 'GET /api/agents/inbox', {agent, box: query.box, messages: messages})
  })

  app.post('/api/agents/messages/:id/ack', async (c) => {
    const principal = c.get('principal')
    requirePermission(principal, 'messages')
    const body = await readJsonBody(c, ackBody)
    const agent = requestScope(principal, {agentId: body.agentId}).agentId
    const id = c.req.param('id')
    const existing = await network.messages.get(id)
    // Someone else's message looks exactly like a missing one.
    if (!existing || existing.toAgent !== agent) throw notFound(`message ${id} not found`)
    const result = (await network.messages.ack(id))!
    if (result.event) network.publish([result.event])
    return respond(c, 'POST /api/agents/messages/:id/ack', {message: result.message, alreadyAcked: result.event === undefined})
  })

  app.get('/api/agents/stream', (c) => {
    const principal = c.get('principal')
    requirePermission(principal, 'messages')
    const query = readQuery(c, streamQuery)
    const agent = requestScope(principal, {agentId: query.agentId}).agentId
    const header = c.req.header('last-event-id')
    const resumeFrom = header !== undefined && /^\d+$/.test(header.trim()) ? Number(header.trim()) : query.lastEventId
    const response = streamSSE(c, async (stream) => {
      let closed = false
      /** Events for this agent this daemon has seen: moved since a read of the log = read it again. */
      let stirs = 0
      let wake: (() => void) | undefined
      const stop = () => {
        closed = true
        wake?.()
      }
      // Subscribe before reading where the log ends, so an event landing in between wakes the loop.
      const unsubscribe = network.subscribe((event) => {
        if (event.toAgent !== agent && event.fromAgent !== agent) return
        stirs++
        wake?.()
      }, stop)
      stream.onAbort(stop)
      let last = resumeFrom ?? (await network.messages.lastEventSeq())
      const send = async (event: AgentEvent) => {
        if (event.seq <= last) return
        last = event.seq
        const message = await network.messages.get(event.messageId)
        await stream.writeSSE({id: String(event.seq), event: event.type, data: JSON.stringify({...event, message: message ?? null})})
      }
      /** Everything in the event log after `last`: this daemon's events and those another daemon wrote. */
      const catchUp = async () => {
        for (let batch = await network.messages.eventsFor(agent, last); batch.length > 0 && !closed; batch = await network.messages.eventsFor(agent, last)) {
          for (const event of batch) await send(event)
        }
      }
      try {
        await stream.writeSSE({event: 'ready', data: JSON.stringify({agent, lastEventId: last})})
        if (resumeFrom !== undefined) await catchUp()
        let lastWrite = Date.now()
        while (!closed && query.follow === 'true') {
          const seen = stirs
          const before = last
          await catchUp()
          if (last !== before) lastWrite = Date.now()
          if (closed) break
          const untilHeartbeat = query.heartbeatMs - (Date.now() - lastWrite)
          if (untilHeartbeat <= 0) {
            await stream.write(': heartbeat\n\n')
            lastWrite = Date.now()
            continue
          }
          if (stirs !== seen) continue
          let timer: NodeJS.Timeout | undefined
          await new Promise<void>((resolve) => {
            wake = resolve
            timer = setTimeout(resolve, Math.min(STREAM_POLL_MS, untilHeartbeat))
          })
          clearTimeout(timer)
          wake = undefined
        }
      } catch (error) {
        // A client that went away mid-write is the normal end of a stream, not a daemon error.
        if (!stream.aborted && !closed) daemon.logger.warn('agent event stream failed', {agent, error: String(error)})
      } finally {
        unsubscribe()
      }
    })
    // One stream per connection: closing the socket with the stream lets a stopping daemon finish at once
    // instead of waiting for an idle keep-alive connection to time out.
    response.headers.set('Connection', 'close')
    return response
  })

  return app
}
