import ignore from 'ignore'
import {z} from 'zod'

import {timestamp} from './fields.js'
import {defineRoutes} from './route.js'

const NAME_RULE = 'a name like my-repo (letters, digits and . _ - only, starting with a letter or digit)'
export const sourceNameField = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9._-]*$/i, NAME_RULE)

const includeGlob = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(256)
  .superRefine((value, ctx) => {
    if (/[\p{Cc}\p{Cf}]/u.test(value)) ctx.addIssue({code: 'custom', message: 'must not contain control or invisible characters'})
    try {
      ignore().add(value).ignores('probe')
    } catch (error) {
      ctx.addIssue({code: 'custom', message: `is not a usable glob: ${(error as Error).message}`})
    }
  })

export const addSourceBody = z.strictObject({
  path: z.string({error: 'is required: the absolute path of the folder to index'}).min(1, 'is required').max(4096),
  name: sourceNameField.optional().describe('default: the folder name'),
  include: z.array(includeGlob).max(32).optional().describe('only files matching these globs (gitignore syntax)'),
})

export const sourceSearchBody = z.strictObject({
  query: z.string({error: 'is required'}).trim().min(1, 'must not be empty').max(2000),
  limit: z.number().int().min(1).max(50).default(10),
  source: sourceNameField.optional().describe('search only this source'),
})

export const sourceNameParams = z.object({name: sourceNameField})

/** Why a file was left out of a source. */
export const skipReason = z.enum(['binary', 'too-large', 'secret-file', 'unreadable', 'file-limit'])
const skipCounts = z.partialRecord(skipReason, z.number().int())

export const sourceView = z.strictObject({
  name: z.string(),
  root: z.string().optional().describe('where it lives on disk: shown to admins only'),
  includes: z.array(z.string()),
  createdAt: timestamp,
  indexedAt: timestamp.nullable(),
  files: z.number().int(),
  chunks: z.number().int(),
  skipped: skipCounts.describe('files left out, by reason'),
  skippedExamples: z.array(z.strictObject({path: z.string(), reason: skipReason})),
  error: z.string().nullable().describe('why the last scan failed'),
})

export const indexReport = z.strictObject({
  source: z.string(),
  scanned: z.number().int(),
  changed: z.number().int(),
  removed: z.number().int(),
  unchanged: z.number().int(),
  skipped: skipCounts,
  ms: z.number(),
})

export const sourceHit = z.strictObject({
  source: z.string(),
  path: z.string().describe('relative to the source root'),
  startLine: z.number().int(),
  endLine: z.number().int(),
  line: z.number().int().describe('the line that matches best'),
  snippet: z.string(),
  score: z.number(),
})

export const sourceReportResponse = z.strictObject({
  source: sourceView,
  report: indexReport.nullable().describe('null when the first scan failed (see source.error)'),
})
export const sourceSearchResponse = z.strictObject({query: z.string(), hits: z.array(sourceHit), count: z.number().int(), elapsedMs: z.number()})

export type SourceView = z.infer<typeof sourceView>
export type IndexReport = z.infer<typeof indexReport>
export type SourceHit = z.infer<typeof sourceHit>
export type SkipReason = z.infer<typeof skipReason>

export const sourceRoutes = defineRoutes({
  'POST /api/sources': {
    summary: 'Index a folder of code and docs (admin only: it makes the daemon read files from this machine). The first scan runs before the answer.',
    body: addSourceBody,
    response: sourceReportResponse,
    status: [201],
  },
  'GET /api/sources': {
    summary: 'The indexed folders, shared by every agent and project of the workspace.',
    response: z.strictObject({sources: z.array(sourceView), scope: z.literal('workspace')}),
  },
  'DELETE /api/sources/:name': {
    summary: 'Stop indexing a source and drop its chunks (the folder is not touched).',
    params: sourceNameParams,
    response: z.strictObject({removed: z.string()}),
  },
  'POST /api/sources/:name/reindex': {
    summary: 'Rescan a source now: changed files are re-read, deleted ones dropped.',
    params: sourceNameParams,
    response: z.strictObject({source: sourceView, report: indexReport}),
  },
  'POST /api/sources/search': {
    summary: 'Search the indexed folders: chunks with path and line numbers.',
    body: sourceSearchBody,
    response: sourceSearchResponse,
  },
})
