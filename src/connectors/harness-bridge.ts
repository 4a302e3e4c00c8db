import {spawn} from 'node:child_process'

import {createDaemonClient} from '../client/resolve-endpoint.js'
import {resolveWorkspace} from '../config/workspace.js'
import {storedConnectionSync} from '../credentials/credential-store.js'
import {HOOK_TIMEOUT_SECONDS, type HookEvent, signetEntryPoints, type SignetEntryPoints} from './hook-command.js'

/**
 * What in-process harness extensions (Pi, OpenClaw) import from this package by absolute path:
 * lifecycle points run the same `signet hook` command as every shell-hook harness, and the
 * memory tools call the daemon through the one DaemonClient (credentials resolved at run
 * time, so the generated extension files never hold a key).
 */

/**
 * Run `signet hook <event> -H <harness>` with `payload` on stdin; its stdout, or '' on any failure.
 * `entry` is the node + `bin/run.js` recorded when the extension was installed: a harness may load
 * this module from a copy (OpenClaw bundles plugins and their imports into its own tmp dir), where
 * paths derived from this file's location point at nothing.
 */
export function runSignetHook(
  event: HookEvent,
  harness: string,
  payload: Record<string, unknown>,
  entry: Pick<SignetEntryPoints, 'node' | 'runJs'> = signetEntryPoints(),
): Promise<string> {
  return new Promise((resolve) => {
    let output = ''
    let settled = false
    const finish = (value: string) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(value)
    }
    const child = spawn(entry.node, [entry.runJs, 'hook', event, '-H', harness], {stdio: ['pipe', 'pipe', 'ignore'], env: process.env})
    const timer = setTimeout(() => {
      child.kill()
      finish('')
    }, HOOK_TIMEOUT_SECONDS[event] * 1000)
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
    child.on('error', () => finish(''))
    child.on('close', (code) => finish(code === 0 ? output.trim() : ''))
    child.stdin.on('error', () => {})
    child.stdin.end(JSON.stringify(payload))
  })
}

/** The agent to act for: SIGNET_AGENT_ID, else the one `signet connect <harness> --agent-id` stored. */
function defaultAgentId(harness: string): string | undefined {
  return process.env.SIGNET_AGENT_ID?.trim() || storedConnectionSync(process.env.SIGNET_DAEMON_URL, harness)?.agentId
}

function client(harness: string) {
  let workspace: string | undefined
  try {
    workspace = resolveWorkspace().path
  } catch {
    workspace = undefined
  }
  return createDaemonClient({workspace, harness, timeoutMs: 15_000})
}

interface RecallResult {
  id: string
  content: string
  score: number
  tags?: string[]
  project?: string | null
  createdAt?: string
}

export async function signetRecall(harness: string, params: {query: string; limit?: number; project?: string; agentId?: string}): Promise<string> {
  const response = await client(harness).post<{results: RecallResult[]}>('/api/memory/recall', {
    query: params.query,
    limit: params.limit ?? 10,
    project: params.project,
    agentId: params.agentId ?? defaultAgentId(harness),
  })
  if (response.results.length === 0) return 'No matching memories found.'
  const lines = response.results.map(
    (result) => `- [${result.id}] ${result.content} (score ${result.score.toFixed(2)}${result.createdAt ? `, ${result.createdAt.slice(0, 10)}` : ''})`,
  )
  return `Found ${response.results.length} ${response.results.length === 1 ? 'memory' : 'memories'}:\n${lines.join('\n')}`
}

export async function signetRemember(
  harness: string,
  params: {content: string; tags?: string[]; importance?: number; project?: string; agentId?: string; sessionKey?: string},
): Promise<string> {
  const response = await client(harness).post<{id: string; deduped: boolean}>('/api/memory/remember', {
    content: params.content,
    tags: params.tags,
    importance: params.importance,
    project: params.project,
    agentId: params.agentId ?? defaultAgentId(harness),
    sessionKey: params.sessionKey,
  })
  return response.deduped ? `Already remembered (${response.id}).` : `Remembered (${response.id}).`
}

export async function signetSessionSearch(harness: string, params: {query: string; limit?: number; project?: string; agentId?: string}): Promise<string> {
  // Shape of POST /api/sessions/search (src/daemon/routes/sessions.ts).
  const response = await client(harness).post<{hits: Array<{sessionKey: string; project?: string | null; excerpt: string}>}>('/api/sessions/search', {
    query: params.query,
    limit: params.limit ?? 5,
    project: params.project,
    agentId: params.agentId ?? defaultAgentId(harness),
  })
  if (response.hits.length === 0) return 'No matching sessions found.'
  return response.hits.map((hit) => `- ${hit.sessionKey}${hit.project ? ` (${hit.project})` : ''}: ${hit.excerpt}`).join('\n')
}

export async function signetSourceSearch(harness: string, params: {query: string; limit?: number; source?: string}): Promise<string> {
  const {formatSourceHits} = await import('../mcp/tools.js')
  // Shape of POST /api/sources/search (src/daemon/routes/sources.ts).
  const response = await client(harness).post<{hits: Parameters<typeof formatSourceHits>[0]}>('/api/sources/search', {
    query: params.query,
    limit: params.limit ?? 10,
    source: params.source,
  })
  return formatSourceHits(response.hits)
}

/** Tool names the Pi extension accepts for the agent-network tools, mapped to their canonical tool. */
export const AGENT_TOOL_ALIASES = {list_peers: 'agent_peers', get_messages: 'agent_inbox'} as const

/** One agent-network tool (agent_peers, agent_send, agent_inbox, agent_ack, or an alias) as text for the model. */
export async function signetAgentTool(harness: string, name: string, params: Record<string, unknown>): Promise<string> {
  const {AGENT_TOOL_NAMES, agentToolInputs, runAgentTool} = await import('../mcp/agent-tools.js')
  const {z} = await import('zod')
  const canonical = (AGENT_TOOL_ALIASES as Record<string, string>)[name] ?? name
  const tool = AGENT_TOOL_NAMES.find((candidate) => candidate === canonical)
  if (!tool) return `Unknown Signet agent tool '${name}'.`
  const parsed = z.object(agentToolInputs[tool]).safeParse(params)
  if (!parsed.success) return `Invalid arguments: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(input)'}: ${issue.message}`).join('; ')}`
  try {
    return await runAgentTool(client(harness), tool, parsed.data as never, defaultAgentId(harness))
  } catch (error) {
    return `Signet ${tool} failed: ${error instanceof Error ? error.message : String(error)}`
  }
}
