import {z} from 'zod'

import {
  agentIdField,
  agentQuery,
  idempotencyKeyField,
  isoDateField,
  machineIdField,
  memoryIdField,
  memoryTypeField,
  projectField,
  queryFlag,
  tagList,
  timestamp,
} from './fields.js'
import {defineRoutes} from './route.js'

const MAX_CONTENT_CHARS = 100_000

/** At most this many memories per import request (the 1 MiB body limit usually binds first). */
export const MAX_IMPORT_BATCH = 5000

const content = z.string().trim().min(1, 'must not be empty').max(MAX_CONTENT_CHARS)

export const rememberBody = z.object({
  content,
  tags: tagList.optional(),
  importance: z.number().min(0).max(1).optional(),
  pinned: z.boolean().optional(),
  type: memoryTypeField.optional(),
  project: projectField.optional(),
  agentId: agentIdField.optional(),
  sessionKey: z.string().min(1).max(256).optional(),
  machineId: machineIdField.optional(),
  idempotencyKey: idempotencyKeyField.optional(),
  createdAt: isoDateField.optional().describe('when it was first said (imports keep the original date); default now'),
})

/**
 * An imported memory: remember's fields minus the machine, which belongs to the batch. An item's
 * agentId (a whole-store export keeps each memory's agent) overrides the batch's for the owner; a
 * scoped key's import always lands in its own agent.
 */
const importItem = rememberBody
  .omit({machineId: true})
  .extend({
    origin: z
      .string()
      .min(1)
      .max(32)
      .regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and - only')
      .optional()
      .describe('where it came from (another store, e.g. claude-mem); stored as source import:<origin>'),
  })
  .strict()

export const importBody = z
  .object({
    memories: z.array(importItem).min(1, 'must hold at least one memory').max(MAX_IMPORT_BATCH),
    agentId: agentIdField.optional(),
    machineId: machineIdField.optional(),
  })
  .strict()

export const recallBody = z.object({
  query: z.string().max(10_000),
  limit: z.number().int().min(1).max(100).default(10),
  project: projectField.optional(),
  agentId: agentIdField.optional(),
  tags: tagList.optional(),
  type: memoryTypeField.optional(),
  since: isoDateField.optional(),
  until: isoDateField.optional(),
})

export const listMemoriesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
  project: projectField.optional(),
  agentId: agentIdField.optional(),
  type: memoryTypeField.optional(),
  tags: z.string().max(1024).optional().describe('comma-separated; a memory must have all of them'),
  allAgents: queryFlag.optional().describe("every agent's memories at once (the owner's export); a key scoped to one agent still sees only that agent"),
})

export const patchMemoryBody = z
  .object({
    content: content.optional(),
    tags: tagList.optional(),
    importance: z.number().min(0).max(1).optional(),
    pinned: z.boolean().optional(),
    type: memoryTypeField.optional(),
    project: projectField.nullable().optional().describe('null makes the memory global'),
  })
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, 'at least one of content, tags, importance, pinned, type, project')

export const memoryIdParams = z.object({id: memoryIdField})

/** A memory as every answer shows it. */
export const memoryView = z.strictObject({
  id: z.string(),
  content: z.string(),
  type: z.string(),
  tags: z.array(z.string()),
  importance: z.number(),
  pinned: z.boolean(),
  agentId: z.string(),
  project: z.string().nullable(),
  source: z.string().describe('how it was written: api, import, import:<origin>, session-end, compaction …'),
  harness: z.string().nullable(),
  createdAt: timestamp,
  updatedAt: timestamp,
})

/** Why a memory came up: the query words it holds (and in what form) and each signal's share of its rank. */
export const recallWhy = z.strictObject({
  matched: z.array(z.string()).describe('query words found: "staging", or "db→database" when an equivalent or a typo correction matched'),
  matchedTerms: z.number().int(),
  signals: z.strictObject({
    bm25: z.number(),
    coordination: z.number(),
    proximity: z.number(),
    vector: z.number().optional(),
    context: z.number(),
    speaker: z.number().describe('1 when the memory starts with a speaker label ("Caroline: …") naming someone the query names'),
    date: z.number().describe('1 when the memory was created on a day or in a month the query names ("on 3 June, 2023", "in March")'),
    related: z
      .number()
      .describe(
        'For a hedged question about someone ("Would Caroline be considered religious?"): relevance (best 1) of words close in meaning to the query\'s among what that person said',
      ),
    self: z.number().describe('1 when, in a hedged question about someone, the memory is what that person said of themselves (first person: "I", "my", "me")'),
  }),
})

/** What the vector side of a recall did: used, or why not (results are then lexical only). */
export const vectorOutcome = z.strictObject({
  status: z.enum(['used', 'disabled', 'timeout', 'error', 'empty']),
  provider: z.string().optional(),
  model: z.string().optional(),
  ms: z.number().optional(),
  reason: z.string().optional(),
})

export const recallResult = memoryView.extend({
  source: z.enum(['keyword', 'vector', 'hybrid', 'context']).describe('what matched: its words, its meaning, both, or its neighbours'),
  score: z.number().describe('0..1, comparable across queries'),
  why: recallWhy,
})

export const rememberResponse = z.strictObject({id: z.string(), deduped: z.boolean(), memory: memoryView})
export const importResponse = z.strictObject({imported: z.number().int(), deduped: z.number().int(), received: z.number().int()})
export const recallResponse = z.strictObject({
  results: z.array(recallResult),
  meta: z.strictObject({
    query: z.string(),
    agentId: z.string(),
    method: z.enum(['bm25', 'hybrid']),
    total: z.number().int(),
    elapsedMs: z.number(),
    vector: vectorOutcome,
  }),
})
export const listMemoriesResponse = z.strictObject({
  memories: z.array(memoryView),
  total: z.number().int(),
  byAgent: z.record(z.string(), z.number().int()).describe('how many memories each agent holds (one entry unless allAgents)'),
  limit: z.number().int(),
  offset: z.number().int(),
})
export const memoryResponse = z.strictObject({memory: memoryView})
export const forgetResponse = z.strictObject({id: z.string(), deleted: z.literal(true)})

export type MemoryView = z.infer<typeof memoryView>
export type RecallResult = z.infer<typeof recallResult>
export type RecallResponse = z.infer<typeof recallResponse>

export const memoryRoutes = defineRoutes({
  'POST /api/memory/remember': {
    summary: 'Store one memory (redacted, deduplicated per agent and project). 201 when stored, 200 when it merged with an existing one.',
    body: rememberBody,
    response: rememberResponse,
    status: [200, 201],
  },
  'POST /api/memory/import': {
    summary: 'The bulk path: one transaction for the whole batch, same redaction, scope and dedup as remember.',
    body: importBody,
    response: importResponse,
  },
  'POST /api/memory/recall': {
    summary: 'Hybrid search (keywords, and meaning when an embedder is configured) over the memories the caller may read.',
    body: recallBody,
    response: recallResponse,
  },
  'GET /api/memories': {
    summary: 'Memories, newest first, one page at a time.',
    query: listMemoriesQuery,
    response: listMemoriesResponse,
  },
  'GET /api/memory/:id': {summary: 'One memory.', params: memoryIdParams, query: agentQuery, response: memoryResponse},
  'PATCH /api/memory/:id': {
    summary: 'Change a memory: content, tags, importance, pinned, type or project. 409 duplicate_content when another memory already says the same.',
    params: memoryIdParams,
    query: agentQuery,
    body: patchMemoryBody,
    response: memoryResponse,
  },
  'DELETE /api/memory/:id': {
    summary: 'Forget a memory (soft delete: it no longer appears anywhere).',
    params: memoryIdParams,
    query: agentQuery,
    response: forgetResponse,
  },
})
