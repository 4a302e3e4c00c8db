import {z} from 'zod'

import {recallWhy, vectorOutcome} from './memory.js'
import {agentIdField, harnessNameField, idempotencyKeyField, machineIdField, projectField, sessionKeyField, timestamp} from './fields.js'
import {defineRoutes} from './route.js'

const MAX_TRANSCRIPT_CHARS = 1_000_000

/** The project a hook runs in: its identity, or what the hook found out about the working directory. */
const projectInput = z.union([
  projectField,
  z.object({
    id: projectField.optional(),
    cwd: z.string().max(4096).optional(),
    gitRoot: z.string().max(4096).optional(),
    gitRemote: projectField.optional(),
  }),
])

/** What every hook sends: which harness, and optionally the agent, session, machine and project. */
export const hookCommon = z.object({
  harness: harnessNameField,
  agentId: agentIdField.optional(),
  sessionKey: sessionKeyField.optional(),
  machineId: machineIdField.optional(),
  project: projectInput.optional(),
})

export const sessionStartBody = hookCommon.extend({source: z.string().max(64).optional().describe('startup, resume, clear, compact …')})
export const promptSubmitBody = hookCommon.extend({prompt: z.string().max(100_000)})
export const preCompactionBody = hookCommon.extend({
  trigger: z.string().max(64).optional(),
  messageCount: z.number().int().min(0).optional(),
  transcript: z.string().max(MAX_TRANSCRIPT_CHARS).optional(),
  idempotencyKey: idempotencyKeyField.optional(),
})
export const compactionCompleteBody = hookCommon.extend({
  summary: z.string().trim().min(1, 'must not be empty').max(100_000),
  idempotencyKey: idempotencyKeyField.optional(),
})
export const sessionEndBody = hookCommon.extend({
  transcript: z.string().max(MAX_TRANSCRIPT_CHARS).optional(),
  reason: z.string().max(64).optional(),
  lastAssistantMessage: z.string().max(100_000).optional(),
  idempotencyKey: idempotencyKeyField.optional(),
})

export type HookCommon = z.infer<typeof hookCommon>

/** The agent messages a hook delivered: their ids, how many wait for a later hook, and their size. */
const messageReceipt = z.strictObject({ids: z.array(z.string()), deferred: z.number().int(), chars: z.number().int()})

export const sessionStartResponse = z.strictObject({
  inject: z.string().describe('the text the harness adds to the context'),
  sessionKnown: z.boolean(),
  identity: z.strictObject({name: z.string()}),
  memories: z.array(z.strictObject({id: z.string(), content: z.string(), type: z.string(), importance: z.number(), createdAt: timestamp})),
  receipt: z.strictObject({
    ids: z.array(z.string()),
    messages: messageReceipt,
    budget: z
      .strictObject({total: z.number().int(), memoriesChars: z.number().int(), messagesChars: z.number().int()})
      .optional()
      .describe('absent when a resumed session got the short stub'),
    elapsedMs: z.number(),
  }),
})

export const promptSubmitResponse = z.strictObject({
  inject: z.string(),
  memoryCount: z.number().int(),
  messageCount: z.number().int(),
  sessionKnown: z.boolean(),
  receipt: z.strictObject({
    ids: z.array(z.string()),
    scores: z.array(z.number().nullable()),
    why: z.array(recallWhy.nullable()).optional(),
    threshold: z.number(),
    minMatchedTerms: z.number().int().optional(),
    considered: z.number().int(),
    method: z.enum(['bm25', 'hybrid']).optional(),
    vector: vectorOutcome.shape.status.optional(),
    messages: messageReceipt,
    budget: z.strictObject({memoriesChars: z.number().int(), messagesChars: z.number().int()}).optional(),
    elapsedMs: z.number(),
  }),
})

export const preCompactionResponse = z.strictObject({
  summaryPrompt: z.string().describe('what the harness asks its model to summarise the session with'),
  guidelines: z.array(z.string()),
  transcriptId: z.string().nullable().describe('the transcript snapshot stored, when one was sent'),
})

export const compactionCompleteResponse = z.strictObject({
  success: z.literal(true),
  memoryId: z.string(),
  transcriptId: z.string(),
  deduped: z.boolean(),
})

export const sessionEndResponse = z.strictObject({
  sessionKey: z.string().nullable(),
  transcriptId: z.string().nullable(),
  deduped: z.boolean(),
  memoriesSaved: z.number().int(),
  memoryIds: z.array(z.string()),
  redactions: z.number().int(),
})

export type SessionStartResponse = z.infer<typeof sessionStartResponse>
export type PromptSubmitResponse = z.infer<typeof promptSubmitResponse>

export const hookRoutes = defineRoutes({
  'POST /api/hooks/session-start': {
    summary: "Context for a new session: identity files, working memory, the project's memories and unread agent messages, within the budget.",
    body: sessionStartBody,
    response: sessionStartResponse,
  },
  'POST /api/hooks/user-prompt-submit': {
    summary: 'Memories (and agent messages) relevant to this prompt, never one already injected in the session.',
    body: promptSubmitBody,
    response: promptSubmitResponse,
  },
  'POST /api/hooks/pre-compaction': {
    summary: 'Before the harness compacts: the summary prompt, and a snapshot of the transcript so far.',
    body: preCompactionBody,
    response: preCompactionResponse,
  },
  'POST /api/hooks/compaction-complete': {
    summary: 'Store the compaction summary as a transcript and as a memory.',
    body: compactionCompleteBody,
    response: compactionCompleteResponse,
  },
  'POST /api/hooks/session-end': {
    summary: 'Store the transcript (redacted), extract durable memories from it, and end the session.',
    body: sessionEndBody,
    response: sessionEndResponse,
  },
})
