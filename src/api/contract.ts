import type {z} from 'zod'

import {agentRoutes} from './agents.js'
import {authRoutes} from './auth.js'
import {dashboardRoutes, mcpRoutes} from './dashboard.js'
import {deviceRoutes} from './devices.js'
import {hookRoutes} from './hooks.js'
import {memoryRoutes} from './memory.js'
import type {RouteDefinition} from './route.js'
import {sessionRoutes} from './sessions.js'
import {sourceRoutes} from './sources.js'
import {statusRoutes} from './status.js'
import {synthesisRoutes} from './synthesis.js'

/**
 * The daemon's HTTP API contract: every route it serves, keyed `METHOD /path` (hono's pattern,
 * `:name` for a path parameter), with its request and response schemas. Defined once, here:
 *
 * - the daemon validates requests with these schemas and types its answers against them
 *   (`src/daemon/respond.ts`), checking them at run time too under SIGNET_CHECK_ANSWERS=1 (the tests);
 * - `DaemonClient.call(route, …)` (src/client) is typed from them, so no caller writes an answer's
 *   shape by hand;
 * - docs/api.md is generated from them (`npm run docs:api`), and test/docs/api-doc.test.ts fails when
 *   a served route has no entry here or the document is stale;
 * - test/daemon/api-contract.test.ts calls every route on a real daemon and checks each answer.
 *
 * Importing this module builds every schema: clients that only need the types import them with
 * `import type`, which costs nothing at run time.
 */
export const API_AREAS = [
  {title: 'Health and status', routes: statusRoutes},
  {title: 'Auth: keys, pairing, audit', routes: authRoutes},
  {title: 'Memories', routes: memoryRoutes},
  {title: 'Sessions', routes: sessionRoutes},
  {title: 'Hooks', routes: hookRoutes},
  {title: 'MEMORY.md synthesis', routes: synthesisRoutes},
  {title: 'Sources', routes: sourceRoutes},
  {title: 'Agent network', routes: agentRoutes},
  {title: 'Dashboard devices', routes: deviceRoutes},
  {title: 'Dashboard', routes: dashboardRoutes},
  {title: 'MCP', routes: mcpRoutes},
] as const

export const API_CONTRACT = {
  ...statusRoutes,
  ...authRoutes,
  ...memoryRoutes,
  ...sessionRoutes,
  ...hookRoutes,
  ...synthesisRoutes,
  ...sourceRoutes,
  ...agentRoutes,
  ...deviceRoutes,
  ...dashboardRoutes,
  ...mcpRoutes,
}

type Contract = typeof API_CONTRACT

/** Every route, as `METHOD /path`. */
export type RouteKey = keyof Contract

/** The routes that answer JSON (the ones `DaemonClient.call` can call). */
export type JsonRouteKey = {[K in RouteKey]: Contract[K] extends {response: z.ZodType} ? K : never}[RouteKey]

type SchemaOf<K extends RouteKey, Part extends keyof RouteDefinition> = Contract[K] extends {[P in Part]: infer S extends z.ZodType} ? S : never
type Has<K extends RouteKey, Part extends keyof RouteDefinition> = Contract[K] extends {[P in Part]: z.ZodType} ? true : false

/** A route's JSON answer on success. */
export type ResponseOf<K extends JsonRouteKey> = z.output<SchemaOf<K, 'response'>>
/** A route's JSON body, as a client writes it (defaults may be left out). */
export type BodyOf<K extends RouteKey> = z.input<SchemaOf<K, 'body'>>
/** A route's path parameters. */
export type ParamsOf<K extends RouteKey> = z.output<SchemaOf<K, 'params'>>
/** A route's query string, as values a client passes (numbers and flags are sent as text). */
export type QueryOf<K extends RouteKey> = Partial<z.output<SchemaOf<K, 'query'>>>

/** True when every field of T may be left out (so the whole object may be too): an empty object is a T. */
type AllOptional<T> = Record<never, never> extends T ? true : false

/** What a call of route K carries: `params` when its path has some, `query` and `body` when it takes them. */
export type RequestOf<K extends RouteKey> = (Has<K, 'params'> extends true ? {params: ParamsOf<K>} : unknown) &
  (Has<K, 'query'> extends true ? {query?: QueryOf<K>} : unknown) &
  (Has<K, 'body'> extends true ? (AllOptional<BodyOf<K>> extends true ? {body?: BodyOf<K>} : {body: BodyOf<K>}) : unknown)

/** The arguments after the route key: none when the route needs nothing. */
export type CallArgs<K extends RouteKey> = AllOptional<RequestOf<K>> extends true ? [request?: RequestOf<K> & object] : [request: RequestOf<K>]

/** A route's success statuses. */
export type SuccessStatusOf<K extends RouteKey> = Contract[K] extends {status: readonly (infer S)[]} ? S : 200

export {errorEnvelope, type ErrorEnvelope, type RouteDefinition} from './route.js'
