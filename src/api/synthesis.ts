import {z} from 'zod'

import {agentIdField, harnessNameField, projectField, timestamp} from './fields.js'
import {defineRoutes} from './route.js'

/** Most memories one synthesis request may ask for. */
export const SYNTHESIS_MAX_MEMORIES = 100

export const synthesisBody = z.object({
  harness: harnessNameField.optional(),
  agentId: agentIdField.optional(),
  project: projectField.optional(),
  maxMemories: z.number().int().min(1).max(SYNTHESIS_MAX_MEMORIES).optional(),
})

export const synthesisCompleteBody = z.object({
  harness: harnessNameField.optional(),
  agentId: agentIdField.optional(),
  content: z.string().trim().min(1, 'must not be empty').max(200_000).describe('the new working-memory block (Markdown, without the markers)'),
  baseHash: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'the baseHash returned by POST /api/hooks/synthesis')
    .describe('baseHash from the synthesis answer this content was made from'),
})

export const synthesisConfigResponse = z.strictObject({
  guidelines: z.array(z.string()),
  limits: z.strictObject({maxBlockChars: z.number().int(), maxMemories: z.number().int(), defaultMemories: z.number().int(), maxMemoryChars: z.number().int()}),
  markers: z.strictObject({begin: z.string(), end: z.string()}),
  provider: z
    .strictObject({name: z.string(), configured: z.boolean()})
    .describe("the daemon's own model provider (agent.yaml extraction.provider); none: offline synthesis only"),
  offlineRefresh: z.boolean(),
  writable: z.boolean().describe('whether this caller may write the workspace MEMORY.md'),
})

export const synthesisResponse = z.strictObject({
  agentId: z.string(),
  project: z.string().nullable(),
  prompt: z.string().describe('the whole prompt to give the model'),
  guidelines: z.array(z.string()),
  inputs: z.strictObject({
    memoryMd: z.string(),
    memories: z.array(
      z.strictObject({
        id: z.string(),
        content: z.string(),
        type: z.string(),
        importance: z.number(),
        pinned: z.boolean(),
        project: z.string().nullable(),
        createdAt: timestamp,
      }),
    ),
  }),
  limits: z.strictObject({maxBlockChars: z.number().int()}),
  writable: z.boolean(),
  baseHash: z.string().nullable().describe('send it back with /complete; null when this caller may not write'),
})

export const synthesisCompleteResponse = z.strictObject({written: z.boolean(), hash: z.string(), chars: z.number().int(), redactions: z.number().int()})

export const synthesisRoutes = defineRoutes({
  'GET /api/hooks/synthesis/config': {
    summary: 'How MEMORY.md synthesis works on this daemon: guidelines, limits, markers, and whether the caller may write.',
    response: synthesisConfigResponse,
  },
  'POST /api/hooks/synthesis': {
    summary: 'What to write the working memory from: the prompt, the current block and the memories (for runtimes that bring their own model).',
    body: synthesisBody,
    response: synthesisResponse,
  },
  'POST /api/hooks/synthesis/complete': {
    summary: "Write the new working-memory block into MEMORY.md between Signet's markers; 409 stale_base when the file changed since.",
    body: synthesisCompleteBody,
    response: synthesisCompleteResponse,
  },
})
