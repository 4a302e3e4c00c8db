import {z} from 'zod'

import {agentIdField, harnessNameField, machineIdField, timestamp} from './fields.js'
import {defineRoutes} from './route.js'

/** Largest message body, in UTF-8 bytes (413 payload_too_large past it). */
export const MAX_MESSAGE_BODY_BYTES = 16 * 1024

/**
 * An address: `agent`, `agent@machine`, `session:<key>` or a bare session key. Printable ASCII only,
 * so control and bidirectional characters can never make one address look like another.
 */
const addressField = z
  .string()
  .min(1)
  .max(300)
  .regex(/^[\w.:@/+-]+$/, 'an agent id, agent@machine or session key (letters, digits and . _ : @ / + - only)')

const messageKind = z.enum(['note', 'request', 'reply'])

export const sendMessageBody = z
  .object({
    to: addressField,
    body: z
      .string()
      .refine((text) => text.trim().length > 0, 'must not be empty')
      .describe(`at most ${MAX_MESSAGE_BODY_BYTES} bytes`),
    subject: z.string().trim().min(1).max(200).optional(),
    kind: messageKind.optional().describe('default note (reply when replyTo is given)'),
    replyTo: z.string().uuid('must be a message id').optional(),
    agentId: agentIdField.optional().describe('the sending agent; an agent-scoped key may only name its own'),
    project: z.string().trim().min(1).max(512).optional(),
    machineId: machineIdField.optional(),
    sessionKey: z.string().trim().min(1).max(256).optional(),
    harness: harnessNameField.optional(),
  })
  .strict()

export const ackBody = z.object({agentId: agentIdField.optional()}).strict()

export const inboxQuery = z
  .object({
    agentId: agentIdField.optional(),
    box: z.enum(['in', 'sent']).default('in'),
    state: z.enum(['pending', 'delivered', 'acked', 'unacked', 'all']).default('all'),
    thread: z.string().uuid('must be a thread id').optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict()

export const peersQuery = z.object({agentId: agentIdField.optional(), status: z.enum(['online', 'idle', 'offline']).optional()}).strict()

export const streamQuery = z
  .object({
    agentId: agentIdField.optional(),
    lastEventId: z.coerce.number().int().min(0).optional().describe('for clients that cannot set Last-Event-ID on their first request'),
    heartbeatMs: z.coerce.number().int().min(100).max(60_000).default(15_000),
    follow: z.enum(['true', 'false']).default('true').describe('false: replay what was missed and end, for clients that cannot hold a connection open'),
  })
  .strict()

export const messageIdParams = z.object({id: z.string()})

export const peerView = z.strictObject({
  agent: z.string(),
  harness: z.string(),
  machine: z.string().nullable(),
  session: z.string().nullable(),
  project: z.string().nullable(),
  lastSeen: timestamp,
  lastEvent: z.string().nullable(),
  endedAt: timestamp.nullable(),
  status: z.enum(['online', 'idle', 'offline']),
})

export const messageView = z.strictObject({
  id: z.string(),
  from: z.strictObject({agent: z.string(), machine: z.string().nullable(), harness: z.string().nullable(), session: z.string().nullable()}),
  to: z.string().describe('the address it was sent to'),
  toAgent: z.string(),
  kind: messageKind,
  subject: z.string().nullable(),
  body: z.string(),
  replyTo: z.string().nullable(),
  thread: z.string(),
  project: z.string().nullable(),
  createdAt: timestamp,
  deliveredAt: timestamp.nullable(),
  deliveredSession: z.string().nullable(),
  ackedAt: timestamp.nullable(),
  state: z.enum(['pending', 'delivered', 'acked']),
})

const agentEvent = z.strictObject({
  seq: z.number().int(),
  at: timestamp,
  type: z.enum(['message', 'delivered', 'acked']),
  messageId: z.string(),
  toAgent: z.string(),
  fromAgent: z.string(),
  message: messageView.nullable(),
})

export const peersResponse = z.strictObject({
  peers: z.array(peerView),
  agents: z.array(z.string()),
  messaging: z.enum(['open', 'same-project', 'allowlist']).describe('the messaging policy (agent.yaml agents.messaging)'),
})
export const sendMessageResponse = z.strictObject({message: messageView, redactions: z.number().int()})
export const inboxResponse = z.strictObject({agent: z.string(), box: z.enum(['in', 'sent']), messages: z.array(messageView)})
export const ackResponse = z.strictObject({message: messageView, alreadyAcked: z.boolean()})

export type PeerView = z.infer<typeof peerView>
export type MessageView = z.infer<typeof messageView>

export const agentRoutes = defineRoutes({
  'GET /api/agents/peers': {
    summary: 'The agents connected to this daemon: each session with harness, machine, project and status.',
    query: peersQuery,
    response: peersResponse,
  },
  'POST /api/agents/messages': {
    summary: "Send a message to another agent; it is shown once in the recipient's next prompt. Policy and rate limits apply.",
    body: sendMessageBody,
    response: sendMessageResponse,
    status: [201],
  },
  'GET /api/agents/inbox': {summary: "The calling agent's messages (or, with box=sent, what it sent).", query: inboxQuery, response: inboxResponse},
  'POST /api/agents/messages/:id/ack': {
    summary: 'Acknowledge a message, so its sender sees it was handled.',
    params: messageIdParams,
    body: ackBody,
    response: ackResponse,
  },
  'GET /api/agents/stream': {
    summary: "Live events of the calling agent's messages (Server-Sent Events, resumable with Last-Event-ID).",
    query: streamQuery,
    kind: 'events',
    events: {
      ready: z.strictObject({agent: z.string(), lastEventId: z.number().int()}),
      message: agentEvent,
      delivered: agentEvent,
      acked: agentEvent,
    },
  },
})
