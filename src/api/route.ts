import {z} from 'zod'

/**
 * One route of the daemon's HTTP API, as data: what a client sends (path parameters, query, JSON
 * body) and what it gets back on success. The daemon validates requests with these very schemas,
 * types its answers against `response`, and the tests check every answer against it; the client's
 * types and docs/api.md are derived from it. Failures are not listed per route: every one answers the
 * shared error envelope (`errorEnvelope`, docs/api.md).
 */
export interface RouteDefinition {
  /** What the route is for, in one or two sentences (docs/api.md). */
  summary: string
  params?: z.ZodType
  query?: z.ZodType
  body?: z.ZodType
  /** The JSON answer on success; absent for routes that do not answer JSON (see `kind`). */
  response?: z.ZodType
  /** Success statuses (default 200). */
  status?: readonly SuccessStatus[]
  /**
   * What the answer is when it is not JSON: `page` (HTML, a file or a redirect, for the dashboard),
   * `events` (a text/event-stream whose events are in `events`), `lines` (NDJSON: one JSON object
   * per line, its `type` naming which of `events` it is), `json-rpc` (MCP).
   */
  kind?: 'page' | 'events' | 'lines' | 'json-rpc'
  /** For `events` routes: each event name and its JSON data; for `lines`, each line `type` and its JSON. */
  events?: Record<string, z.ZodType>
}

export type SuccessStatus = 200 | 201

/** Keeps the literal types of a table of routes (keyed `METHOD /path`) while checking its shape. */
export function defineRoutes<const Routes extends Record<`${'GET' | 'POST' | 'PATCH' | 'DELETE' | 'ALL'} /${string}`, RouteDefinition>>(
  routes: Routes,
): Routes {
  return routes
}

/**
 * The error envelope every failure answers (any status ≥ 400): the message names the field for a
 * 400, `code` is stable for scripts. Some errors add fields (`field`, `retryAfter`, `existingId`,
 * `currentHash`), so the envelope is open.
 */
export const errorEnvelope = z.looseObject({
  error: z.string().describe('what went wrong, for people'),
  code: z.string().describe('stable machine-readable code, e.g. invalid_request, permission_denied, not_found'),
})

export type ErrorEnvelope = z.infer<typeof errorEnvelope>
