import type {McpServer} from '@modelcontextprotocol/sdk/server/mcp.js'
import type {CallToolResult} from '@modelcontextprotocol/sdk/types.js'
import {z} from 'zod'

import type {MemoryView, RecallResponse} from '../api/memory.js'
import type {SessionSearchHit} from '../api/sessions.js'
import {type SourceHit, sourceNameField} from '../api/sources.js'
import {agentIdField, memoryIdField, memoryTypeField, projectField, sessionKeyField, tagField} from '../api/fields.js'
import {type DaemonClient, DaemonRequestError} from '../client/daemon-client.js'
import {AGENT_TOOL_NAMES, type AgentToolName, agentToolDescriptions, agentToolInputs, runAgentTool} from './agent-tools.js'

/**
 * What the tools call the daemon through: a `DaemonClient`, over the socket or the network (stdio
 * server) or over the daemon's own app in process (`/mcp`). Failures are thrown as
 * `DaemonRequestError` (the daemon's `{error, code}` envelope) or `DaemonUnreachableError`.
 */
export type DaemonApi = Pick<DaemonClient, 'call'>

export interface SignetToolOptions {
  api: DaemonApi
  /** Agent to act for when a call names none (stdio: SIGNET_AGENT_ID); the key's scope still wins. */
  defaultAgentId?: string
}

/** Every tool this server registers, in the order `tools/list` shows them (docs/architecture.md, Data flow). */
export const SIGNET_TOOL_NAMES = [
  'memory_search',
  'memory_store',
  'memory_get',
  'memory_list',
  'memory_modify',
  'memory_forget',
  'signet_recall',
  'signet_remember',
  'signet_session_search',
  'signet_source_search',
  ...AGENT_TOOL_NAMES,
] as const

// Field shapes mirror the daemon's own validation so most mistakes are caught before a request.
const memoryId = memoryIdField.describe('memory id (UUID), as shown by search or list')
const agentId = agentIdField.describe('agent whose memories to use (default: the key scope, SIGNET_AGENT_ID or "default")')
const project = projectField.describe('project identity, e.g. github.com/acme/api')
const memoryType = memoryTypeField.describe('memory type, e.g. fact, preference, decision')
// Models send tags both ways; accept either and normalise.
const tags = z.union([z.array(tagField.min(1)).max(32), z.string().max(2048)]).describe('tags, as a list or comma-separated')
const isoDate = z.string().refine((value) => !Number.isNaN(Date.parse(value)), 'must be an ISO date like 2025-01-31')
const importance = z.number().min(0).max(1).describe('0..1, how much this matters (default 0.5)')
const content = z.string().trim().min(1, 'must not be empty').max(100_000)
const query = z.string().trim().min(1, 'must not be empty').max(10_000)

const recallInput = {
  query: query.describe('what to look for, in words'),
  limit: z.number().int().min(1).max(100).optional().describe('maximum results (default 10)'),
  project: project.optional(),
  type: memoryType.optional(),
  tags: tags.optional(),
  since: isoDate.optional().describe('only memories created at or after this ISO date'),
  until: isoDate.optional().describe('only memories created before this ISO date'),
  agent_id: agentId.optional(),
}

const rememberInput = {
  content: content.describe('the fact, preference or decision to remember, self-contained'),
  type: memoryType.optional(),
  importance: importance.optional(),
  tags: tags.optional(),
  pinned: z.boolean().optional().describe('always include in session context'),
  project: project.optional().describe('project this belongs to (omit for a global memory)'),
  agent_id: agentId.optional(),
}

const listInput = {
  limit: z.number().int().min(1).max(500).optional().describe('page size (default 50)'),
  offset: z.number().int().min(0).optional(),
  project: project.optional(),
  type: memoryType.optional(),
  tags: tags.optional(),
  agent_id: agentId.optional(),
}

const modifyInput = {
  id: memoryId,
  reason: z.string().max(1000).optional().describe('why the memory changes (kept in the tool call, not stored)'),
  content: content.optional().describe('new content'),
  type: memoryType.optional(),
  importance: importance.optional(),
  tags: tags.optional().describe('replacement tags, as a list or comma-separated'),
  pinned: z.boolean().optional(),
  agent_id: agentId.optional(),
}

const forgetInput = {
  id: memoryId,
  reason: z.string().max(1000).optional().describe('why the memory is wrong or obsolete'),
  agent_id: agentId.optional(),
}

const sessionKey = sessionKeyField
const sessionSearchInput = {
  query: query.max(2000).describe('words to find in past session transcripts'),
  limit: z.number().int().min(1).max(50).optional().describe('maximum hits (default 10)'),
  project: project.optional(),
  session_key: sessionKey.optional().describe('search only this session'),
  current_session_key: sessionKey.optional().describe('your own session, left out of the results'),
  agent_id: agentId.optional(),
}

const sourceSearchInput = {
  query: query.max(2000).describe('words to find in indexed folders of code and docs (`signet source add`)'),
  limit: z.number().int().min(1).max(50).optional().describe('maximum chunks (default 10)'),
  source: sourceNameField.optional().describe('search only this source (a name from `signet source list`)'),
}

type RecallArgs = z.infer<z.ZodObject<typeof recallInput>>
type RememberArgs = z.infer<z.ZodObject<typeof rememberInput>>

/** Register the Signet tools on an MCP server. Each tool is one daemon call; nothing is cached. */
export function registerSignetTools(server: McpServer, options: SignetToolOptions): void {
  const {api} = options
  const agentFor = (requested: string | undefined) => requested ?? options.defaultAgentId

  const recall = async (args: RecallArgs) => {
    const response = await api.call('POST /api/memory/recall', {
      body: {
        query: args.query,
        limit: args.limit,
        project: args.project,
        type: args.type,
        tags: normaliseTags(args.tags),
        since: args.since,
        until: args.until,
        agentId: agentFor(args.agent_id),
      },
    })
    return text(formatRecall(response))
  }

  const remember = async (args: RememberArgs) => {
    const response = await api.call('POST /api/memory/remember', {
      body: {
        content: args.content,
        type: args.type,
        importance: args.importance,
        tags: normaliseTags(args.tags),
        pinned: args.pinned,
        project: args.project,
        agentId: agentFor(args.agent_id),
      },
    })
    return text(response.deduped ? `Already remembered: merged with memory ${response.id}.` : `Stored memory ${response.id}.`)
  }

  const recallDescription = 'Search long-term memory (hybrid keyword + meaning search) for facts, preferences and decisions from earlier sessions.'
  const rememberDescription =
    'Store a durable memory (fact, preference, decision) so later sessions and other harnesses can recall it. Exact duplicates are merged.'

  register(
    server,
    'memory_search',
    {
      description: recallDescription,
      inputSchema: recallInput,
      annotations: {readOnlyHint: true},
    },
    'Search',
    recall,
  )

  register(
    server,
    'memory_store',
    {
      description: rememberDescription,
      inputSchema: rememberInput,
      annotations: {readOnlyHint: false, destructiveHint: false, idempotentHint: true},
    },
    'Store',
    remember,
  )

  register(
    server,
    'memory_get',
    {
      description: 'Get one memory by id, with its tags, importance, project and dates.',
      inputSchema: {id: memoryId, agent_id: agentId.optional()},
      annotations: {readOnlyHint: true},
    },
    'Get',
    async (args: {id: string; agent_id?: string}) => {
      const response = await api.call('GET /api/memory/:id', {params: {id: args.id}, query: {agentId: agentFor(args.agent_id)}})
      return text(JSON.stringify(response.memory, null, 2))
    },
  )

  register(
    server,
    'memory_list',
    {
      description: 'List memories, newest first, one page at a time.',
      inputSchema: listInput,
      annotations: {readOnlyHint: true},
    },
    'List',
    async (args: z.infer<z.ZodObject<typeof listInput>>) => {
      const response = await api.call('GET /api/memories', {
        query: {
          limit: args.limit,
          offset: args.offset,
          project: args.project,
          type: args.type,
          tags: normaliseTags(args.tags)?.join(','),
          agentId: agentFor(args.agent_id),
        },
      })
      if (response.memories.length === 0) return text(`No memories${response.offset > 0 ? ` after offset ${response.offset}` : ''} (total ${response.total}).`)
      const first = response.offset + 1
      const last = response.offset + response.memories.length
      return text([`Memories ${first}-${last} of ${response.total}:`, ...response.memories.map((memory) => formatMemoryLine(memory))].join('\n'))
    },
  )

  register(
    server,
    'memory_modify',
    {
      description: 'Correct a memory: change its content, type, importance, tags or pinned flag.',
      inputSchema: modifyInput,
      annotations: {readOnlyHint: false, destructiveHint: false, idempotentHint: true},
    },
    'Modify',
    async (args: z.infer<z.ZodObject<typeof modifyInput>>) => {
      const patch = dropUndefined({
        content: args.content,
        type: args.type,
        importance: args.importance,
        tags: normaliseTags(args.tags),
        pinned: args.pinned,
      })
      // Checked here too so the model learns what to send without a round trip; the daemon checks again.
      if (Object.keys(patch).length === 0) {
        return toolError('Modify failed: give at least one of content, type, importance, tags, pinned')
      }
      const response = await api.call('PATCH /api/memory/:id', {params: {id: args.id}, query: {agentId: agentFor(args.agent_id)}, body: patch})
      return text(`Updated memory ${response.memory.id}.\n${formatMemoryLine(response.memory)}`)
    },
  )

  register(
    server,
    'memory_forget',
    {
      description: 'Forget a memory that is wrong or obsolete (soft delete: it no longer appears in recall).',
      inputSchema: forgetInput,
      annotations: {readOnlyHint: false, destructiveHint: true, idempotentHint: true},
    },
    'Forget',
    async (args: z.infer<z.ZodObject<typeof forgetInput>>) => {
      await api.call('DELETE /api/memory/:id', {params: {id: args.id}, query: {agentId: agentFor(args.agent_id)}})
      return text(`Forgot memory ${args.id}.`)
    },
  )

  register(
    server,
    'signet_recall',
    {
      description: `${recallDescription} Same as memory_search.`,
      inputSchema: recallInput,
      annotations: {readOnlyHint: true},
    },
    'Recall',
    recall,
  )

  register(
    server,
    'signet_remember',
    {
      description: `${rememberDescription} Same as memory_store.`,
      inputSchema: rememberInput,
      annotations: {readOnlyHint: false, destructiveHint: false, idempotentHint: true},
    },
    'Remember',
    remember,
  )

  register(
    server,
    'signet_session_search',
    {
      description: 'Full-text search over transcripts of past sessions (what was said and done, not just stored memories).',
      inputSchema: sessionSearchInput,
      annotations: {readOnlyHint: true},
    },
    'Session search',
    async (args: z.infer<z.ZodObject<typeof sessionSearchInput>>) => {
      const response = await api.call('POST /api/sessions/search', {
        body: {
          query: args.query,
          limit: args.limit,
          project: args.project,
          sessionKey: args.session_key,
          currentSessionKey: args.current_session_key,
          agentId: agentFor(args.agent_id),
        },
      })
      return text(formatSessionHits(response.hits))
    },
  )

  register(
    server,
    'signet_source_search',
    {
      description:
        'Search source-backed context: the folders of code, Markdown and text the owner indexed with `signet source add`. Answers `path:start-end  snippet` lines; open the file at those lines for the full text.',
      inputSchema: sourceSearchInput,
      annotations: {readOnlyHint: true},
    },
    'Source search',
    async (args: z.infer<z.ZodObject<typeof sourceSearchInput>>) => {
      const response = await api.call('POST /api/sources/search', {body: {query: args.query, limit: args.limit, source: args.source}})
      return text(formatSourceHits(response.hits))
    },
  )

  const agentToolOperations: Record<AgentToolName, string> = {agent_peers: 'List peers', agent_send: 'Send', agent_inbox: 'Inbox', agent_ack: 'Ack'}
  for (const name of AGENT_TOOL_NAMES) {
    register(
      server,
      name,
      {
        description: agentToolDescriptions[name],
        inputSchema: agentToolInputs[name],
        annotations:
          name === 'agent_peers' || name === 'agent_inbox'
            ? {readOnlyHint: true}
            : {readOnlyHint: false, destructiveHint: false, idempotentHint: name === 'agent_ack'},
      },
      agentToolOperations[name],
      async (args: Record<string, unknown>) => text(await runAgentTool(api, name, args as never, options.defaultAgentId)),
    )
  }
}

/**
 * registerTool with one failure path: whatever the daemon (or the network) says becomes an
 * MCP tool error (`isError: true`) naming the operation, never a protocol error.
 */
function register<Shape extends z.ZodRawShape, Args>(
  server: McpServer,
  name: (typeof SIGNET_TOOL_NAMES)[number],
  config: {description: string; inputSchema: Shape; annotations: {readOnlyHint?: boolean; destructiveHint?: boolean; idempotentHint?: boolean}},
  operation: string,
  handler: (args: Args) => Promise<CallToolResult>,
): void {
  const run = async (args: Args): Promise<CallToolResult> => {
    try {
      return await handler(args)
    } catch (error) {
      return toolError(`${operation} failed: ${describeFailure(error)}`)
    }
  }
  // The SDK's generic overloads cannot follow a shape chosen per call; the schema still validates `args`.
  ;(server.registerTool as (name: string, config: unknown, cb: (args: Args) => Promise<CallToolResult>) => unknown)(
    name,
    {...config, annotations: {...config.annotations, openWorldHint: false}},
    run,
  )
}

/** The daemon's own message and code when it answered; the client's explanation when it did not. */
export function describeFailure(error: unknown): string {
  if (error instanceof DaemonRequestError) {
    const envelope = (error.body ?? {}) as {error?: unknown}
    const message = typeof envelope.error === 'string' ? envelope.error : error.message
    return `${message} (${error.status} ${error.daemonCode})`
  }
  return error instanceof Error ? error.message : String(error)
}

function text(value: string): CallToolResult {
  return {content: [{type: 'text', text: value}]}
}

function toolError(message: string): CallToolResult {
  return {content: [{type: 'text', text: message}], isError: true}
}

function normaliseTags(value: string[] | string | undefined): string[] | undefined {
  if (value === undefined) return undefined
  const list = Array.isArray(value) ? value : value.split(',')
  const cleaned = list.map((tag) => tag.trim()).filter(Boolean)
  return cleaned.length > 0 ? cleaned : Array.isArray(value) ? [] : undefined
}

function dropUndefined<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>
}

function formatMemoryLine(memory: MemoryView & {score?: number}): string {
  const details = [memory.type, memory.createdAt.slice(0, 10)]
  if (memory.score !== undefined) details.unshift(`score ${memory.score.toFixed(2)}`)
  if (memory.project) details.push(`project ${memory.project}`)
  if (memory.tags.length) details.push(`tags ${memory.tags.join(',')}`)
  if (memory.pinned) details.push('pinned')
  return `- id: ${memory.id}; ${oneLine(memory.content)} (${details.filter(Boolean).join(', ')})`
}

export function formatRecall(response: RecallResponse): string {
  if (response.results.length === 0) return 'No matching memories found.'
  const count = response.results.length
  return [
    `Found ${count} ${count === 1 ? 'memory' : 'memories'} (${response.meta.method}).`,
    ...response.results.map((memory) => formatMemoryLine(memory)),
  ].join('\n')
}

function formatSessionHits(hits: SessionSearchHit[]): string {
  if (hits.length === 0) return 'No matching sessions found.'
  const lines = hits.map((hit) => {
    const details = [hit.project, hit.harness, hit.updatedAt.slice(0, 10)].filter(Boolean)
    return `- session: ${hit.sessionKey}${details.length ? ` (${details.join(', ')})` : ''}: ${oneLine(hit.excerpt)}`
  })
  return [`Found ${hits.length} matching session${hits.length === 1 ? '' : 's'}.`, ...lines].join('\n')
}

/**
 * One hit per line, `path:start-end  snippet`, prefixed by the source name when hits come from
 * several sources: the form editors and models both follow to the file.
 */
export function formatSourceHits(hits: SourceHit[]): string {
  if (hits.length === 0) return 'No matching source chunks found. (`signet source list` shows what is indexed.)'
  const several = new Set(hits.map((hit) => hit.source)).size > 1
  const lines = hits.map((hit) => `${several ? `${hit.source}/` : ''}${hit.path}:${hit.startLine}-${hit.endLine}  ${oneLine(hit.snippet)}`)
  const header = `Found ${hits.length} chunk${hits.length === 1 ? '' : 's'}${several ? '' : ` in source '${hits[0].source}'`}:`
  return [header, ...lines].join('\n')
}

/** Keep one result per line so the model can tell results apart. */
function oneLine(value: string): string {
  return value.replace(/(?<!\s)\s*\n\s*/g, ' ⏎ ').trim()
}
