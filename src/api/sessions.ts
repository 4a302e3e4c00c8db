import {z} from 'zod'

import {agentIdField, agentQuery, projectField, sessionKeyField, timestamp} from './fields.js'
import {defineRoutes} from './route.js'

export const sessionSearchBody = z.object({
  query: z.string().trim().min(1, 'must not be empty').max(2000),
  agentId: agentIdField.optional(),
  agent_id: agentIdField.optional().describe('the same as agentId, snake_case spelling'),
  project: projectField.optional(),
  sessionKey: sessionKeyField.optional().describe('search only this session'),
  currentSessionKey: sessionKeyField.optional().describe("leave the caller's own session out (it is already in its context)"),
  current_session_key: sessionKeyField.optional().describe('the same as currentSessionKey, snake_case spelling'),
  limit: z.number().int().min(1).max(50).default(10),
})

export const listSessionsQuery = z.object({
  agentId: agentIdField.optional(),
  project: projectField.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
})

export const sessionKeyParams = z.object({key: sessionKeyField})

const transcriptKind = z.enum(['transcript', 'compaction-summary'])

export const sessionSearchHit = z.strictObject({
  id: z.string(),
  sessionKey: z.string(),
  agentId: z.string(),
  harness: z.string().nullable(),
  project: z.string().nullable(),
  kind: transcriptKind,
  updatedAt: timestamp,
  excerpt: z.string(),
  rank: z.number().describe('0..1, higher is better'),
})

export const sessionView = z.strictObject({
  sessionKey: z.string(),
  agentId: z.string(),
  harness: z.string().nullable(),
  machineId: z.string().nullable(),
  project: z.string().nullable(),
  startedAt: timestamp,
  endedAt: timestamp.nullable(),
  injectedCount: z.number().int().describe('memories injected into this session so far'),
})

/**
 * Why a memory was injected, as recorded at the time (the recall's `why`). Stored JSON, so it is read
 * loosely: a receipt written by an older daemon may lack a signal a newer one records.
 */
const recordedWhy = z.looseObject({matched: z.array(z.string()), matchedTerms: z.number(), signals: z.record(z.string(), z.number())})

/** What one prompt of a session was given: the memories (with score and why) and messages injected. */
export const promptReceipt = z.strictObject({
  at: timestamp,
  memories: z.array(z.strictObject({id: z.string(), score: z.number().nullable(), why: recordedWhy.nullable()})),
  messageIds: z.array(z.string()),
  elapsedMs: z.number(),
})

export const sessionSearchResponse = z.strictObject({query: z.string(), hits: z.array(sessionSearchHit), count: z.number().int(), elapsedMs: z.number()})
export const listSessionsResponse = z.strictObject({sessions: z.array(sessionView), total: z.number().int(), limit: z.number().int(), offset: z.number().int()})
export const sessionResponse = z.strictObject({
  session: sessionView,
  transcripts: z.array(z.strictObject({id: z.string(), kind: transcriptKind, createdAt: timestamp, chars: z.number().int()})),
})
export const receiptsResponse = z.strictObject({sessionKey: z.string(), receipts: z.array(promptReceipt)})
export const transcriptResponse = z.strictObject({
  sessionKey: z.string(),
  agentId: z.string(),
  harness: z.string().nullable(),
  project: z.string().nullable(),
  createdAt: timestamp,
  content: z.string(),
})

export type SessionSearchHit = z.infer<typeof sessionSearchHit>
export type SessionView = z.infer<typeof sessionView>
export type PromptReceiptView = z.infer<typeof promptReceipt>

export const sessionRoutes = defineRoutes({
  'POST /api/sessions/search': {
    summary: 'Full-text search over stored session transcripts (and compaction summaries) the caller may read.',
    body: sessionSearchBody,
    response: sessionSearchResponse,
  },
  'GET /api/sessions': {summary: 'Sessions, newest first.', query: listSessionsQuery, response: listSessionsResponse},
  'GET /api/sessions/:key': {
    summary: 'One session and the transcripts stored for it (their sizes, not their text).',
    params: sessionKeyParams,
    query: agentQuery,
    response: sessionResponse,
  },
  'GET /api/sessions/:key/receipts': {
    summary: 'Turn by turn, what each prompt of the session was given and why.',
    params: sessionKeyParams,
    query: agentQuery,
    response: receiptsResponse,
  },
  'GET /api/sessions/:key/transcript': {
    summary: "The session's latest stored transcript (redacted).",
    params: sessionKeyParams,
    query: agentQuery,
    response: transcriptResponse,
  },
})
