import {z} from 'zod'

import {queryFlag, timestamp} from './fields.js'
import {defineRoutes} from './route.js'

/**
 * The storage: ok, or a problem that makes the daemon refuse writes with 503 — the SQLite file
 * deleted/replaced under the running daemon, or the PostgreSQL server unreachable.
 */
export const databaseHealth = z.union([
  z.strictObject({status: z.literal('ok')}),
  z.strictObject({status: z.enum(['deleted', 'replaced', 'unreachable']), code: z.string(), message: z.string()}),
])

const authMode = z.enum(['local', 'hybrid', 'team'])

export const healthResponse = z.union([
  z.strictObject({status: z.literal('ok'), version: z.string(), uptime: z.number().int()}),
  z.strictObject({status: z.literal('degraded'), version: z.string(), uptime: z.number().int(), database: databaseHealth}),
])

export const statusResponse = z.strictObject({
  status: z.enum(['running', 'degraded']),
  database: databaseHealth,
  version: z.string(),
  pid: z.number().int(),
  uptime: z.number().int().describe('seconds'),
  startedAt: timestamp,
  url: z.string(),
  bindHost: z.string(),
  port: z.number().int(),
  networkMode: z.enum(['localhost', 'tailscale']),
  authMode,
  configuredAuthMode: authMode,
  authModeWarning: z.string().nullable(),
  workspace: z.string().nullable().describe('admins only'),
  dbPath: z.string().nullable().describe('admins only'),
  memoryCount: z.number().int().describe('the memories this caller may read'),
  storage: z.strictObject({
    backend: z.enum(['sqlite', 'postgres']).describe('where memories live: the SQLite file (default) or a PostgreSQL server'),
    location: z.string().nullable().describe('the SQLite path or the PostgreSQL URL with its password masked; admin only'),
  }),
  embedding: z.strictObject({provider: z.string(), model: z.string().nullable()}),
})

export const embeddingStatusResponse = z.strictObject({
  provider: z.string().describe('none when no embedder is configured'),
  model: z.string().nullable(),
  dimensions: z.number().int().nullable(),
  indexed: z.number().int().nullable().describe('store-wide: null for a key narrowed to an agent or projects'),
  pending: z.number().int().nullable(),
  lastError: z.string().nullable(),
  enabled: z.boolean(),
})

/** The lines of `POST /api/embedding/backfill`: progress after each batch, then `done` or `error`. */
const backfillLines = {
  progress: z.strictObject({type: z.literal('progress'), done: z.number().int(), total: z.number().int(), failed: z.number().int()}),
  done: z.strictObject({
    type: z.literal('done'),
    provider: z.string(),
    model: z.string(),
    embedded: z.number().int(),
    total: z.number().int(),
    seconds: z.number(),
  }),
  error: z.strictObject({type: z.literal('error'), error: z.string(), embedded: z.number().int()}),
}
export type BackfillLine = {[K in keyof typeof backfillLines]: z.output<(typeof backfillLines)[K]>}[keyof typeof backfillLines]

/**
 * quick_check reads every page: ≈ 3 s for a 700 MB store of a million memories. Up to this size a
 * plain `signet doctor` runs it; above it doctor says it did not, and `--deep` runs it anyway.
 */
export const QUICK_CHECK_AUTO_MAX_MIB = 256

export const diagnosticsDbQuery = z.strictObject({
  pages: queryFlag
    .optional()
    .describe(`read every page (SQLite PRAGMA quick_check): true always, false never; unset, only for a database file up to ${QUICK_CHECK_AUTO_MAX_MIB} MiB`),
})

export const databaseIntegrity = z.strictObject({
  ok: z.boolean(),
  problems: z
    .array(z.string())
    .describe('empty when healthy; else SQLite\'s PRAGMA quick_check lines, or on PostgreSQL "unreachable" and why, or a schema problem'),
  schemaVersion: z.number().int(),
  latestSchemaVersion: z.number().int(),
  journalMode: z.string(),
  sizeBytes: z.number().int(),
  checkedBy: z.enum(['daemon', 'read-only file']),
  pagesChecked: z
    .boolean()
    .describe('whether every page was read (SQLite quick_check); false for a large store unless asked with pages=true, and on PostgreSQL'),
  ms: z.number(),
  backend: z.enum(['sqlite', 'postgres']).optional().describe('the storage backend the daemon runs on'),
  details: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))
    .optional()
    .describe('backend facts: journal mode and size for SQLite, server version and pgvector for PostgreSQL'),
})

const harnessSeen = z.strictObject({agentId: z.string(), machineId: z.string().nullable(), lastSeen: timestamp, lastEvent: z.string().nullable()})

export const harnessesResponse = z.strictObject({
  harnesses: z.array(
    z.strictObject({
      name: z.string(),
      configured: z.boolean().describe('listed in agent.yaml'),
      known: z.boolean().describe('a harness Signet has hooks for'),
      lastSeen: timestamp.nullable(),
      lastEvent: z.string().nullable(),
      seenBy: z.array(harnessSeen),
    }),
  ),
})

/** Nothing to configure: the harness list comes from agent.yaml. Unknown fields are refused, not ignored. */
export const regenerateBody = z.object({}).strict()

const syncedFile = z.strictObject({harness: z.string(), path: z.string(), action: z.enum(['created', 'updated', 'unchanged'])})

export const harnessSyncResponse = z.strictObject({
  source: z.string().describe('the workspace AGENTS.md'),
  written: z.array(syncedFile),
  unchanged: z.array(syncedFile),
  skipped: z.array(z.strictObject({harness: z.string(), path: z.string().optional(), reason: z.string()})),
})

export type StatusResponse = z.infer<typeof statusResponse>
export type HealthResponse = z.infer<typeof healthResponse>
export type DatabaseIntegrity = z.infer<typeof databaseIntegrity>

export const statusRoutes = defineRoutes({
  'GET /health': {summary: 'Open liveness probe: no paths, counts or anything else an anonymous caller could learn from.', response: healthResponse},
  'GET /api/status': {
    summary: "The daemon: version, uptime, listen settings, the database's health and how many memories the caller may read.",
    response: statusResponse,
  },
  'GET /api/embedding/status': {summary: 'Vector indexing: provider, model and progress (`signet embed status`).', response: embeddingStatusResponse},
  'POST /api/embedding/backfill': {
    summary:
      'Embed every memory still without a vector now (`signet embed backfill`), answering one JSON line per batch; owner or admin only, one at a time (409 `backfill_running`), 409 `embedding_disabled` without a provider. A client that goes away stops it.',
    body: z.strictObject({}),
    kind: 'lines',
    events: backfillLines,
  },
  'GET /api/diagnostics/db': {
    summary:
      "The storage's health for `signet doctor` (only the daemon opens the database while it runs): PRAGMA quick_check and schema facts on SQLite; reachability, schema, server version and pgvector on PostgreSQL.",
    query: diagnosticsDbQuery,
    response: databaseIntegrity,
  },
  'GET /api/harnesses': {summary: 'Each configured or seen harness, with when its hooks last reached the daemon.', response: harnessesResponse},
  'POST /api/harnesses/regenerate': {
    summary: "Copy the workspace AGENTS.md into each configured harness's instruction file now (docs/architecture.md, Harness sync).",
    body: regenerateBody,
    response: harnessSyncResponse,
  },
})
