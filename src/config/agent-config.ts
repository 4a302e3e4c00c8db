import {existsSync, readFileSync} from 'node:fs'

import {isMap, isNode, LineCounter, parseDocument} from 'yaml'
import {z} from 'zod'

import {ConfigError} from '../errors.js'
import {workspacePaths} from './paths.js'

const rateLimitSchema = z.object({
  windowMs: z.number().int().positive(),
  max: z.number().int().positive(),
})

export const agentConfigSchema = z.object({
  version: z.number().int().positive().default(1),
  agent: z
    .object({
      name: z.string().min(1).default('signet'),
      description: z.string().optional(),
    })
    .default({name: 'signet'}),
  network: z
    .object({
      mode: z.enum(['localhost', 'tailscale']).default('localhost'),
      port: z.number().int().min(1).max(65_535).default(3850),
      // DNS names (beyond localhost and IP addresses) the daemon answers to in the Host header.
      hostnames: z
        .array(z.string().regex(/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.?$/, 'a bare host name such as signet.example.com (no scheme, port or path)'))
        .default([]),
    })
    .default({mode: 'localhost', port: 3850, hostnames: []}),
  auth: z
    .object({
      mode: z.enum(['local', 'hybrid', 'team']).default('local'),
      trustedProxies: z.array(z.string()).default([]),
      rateLimits: z
        .object({
          authFailures: rateLimitSchema.optional(),
          pairClaim: rateLimitSchema.optional(),
        })
        .default({}),
    })
    .default({mode: 'local', trustedProxies: [], rateLimits: {}}),
  embedding: z
    .object({
      provider: z.enum(['none', 'local', 'ollama', 'openai']).default('none'),
      model: z.string().optional(),
      baseUrl: z.string().url().optional(),
      promptTimeoutMs: z.number().int().positive().optional(),
    })
    .default({provider: 'none'}),
  hooks: z.record(z.string(), z.unknown()).default({}),
  /** The agent network: who may message whom, and how much of a hook's answer messages may take. */
  agents: z
    .object({
      /** open: any agent to any agent; same-project: only to agents seen in the sender's project; allowlist: only `allow`. */
      messaging: z.enum(['open', 'same-project', 'allowlist']).default('open'),
      /** For allowlist: `from->to` pairs (also `from→to`, `*` for any) or a bare agent id that may message anyone. */
      allow: z
        .array(z.string().regex(/^\s*[\w.:@*-]+\s*(?:(?:->|→)\s*[\w.:@*-]+\s*)?$/, 'an agent id, or a pair like claude->codex'))
        .default([]),
      /** Per sending agent. */
      rateLimit: rateLimitSchema.strict().default({windowMs: 60_000, max: 30}),
      /** Characters of a hook's answer that messages may take (the rest stays with memories). */
      maxInjectChars: z.number().int().min(0).max(4000).default(2000),
      idleAfterMs: z.number().int().positive().default(5 * 60_000),
      offlineAfterMs: z.number().int().positive().default(30 * 60_000),
    })
    .strict()
    .default({messaging: 'open', allow: [], rateLimit: {windowMs: 60_000, max: 30}, maxInjectChars: 2000, idleAfterMs: 5 * 60_000, offlineAfterMs: 30 * 60_000}),
  harnesses: z.array(z.string()).default([]),
  forge: z.object({releaseUrl: z.string().url().optional()}).default({}),
})

export type AgentConfig = z.infer<typeof agentConfigSchema>

export const DEFAULT_AGENT_CONFIG: AgentConfig = agentConfigSchema.parse({})

/**
 * Read and validate `agent.yaml`. A missing file means defaults; an invalid one throws a
 * ConfigError naming the key path, the bad value and the line, so the daemon can refuse to start.
 */
export function loadAgentConfig(workspaceRoot: string): AgentConfig {
  const file = workspacePaths(workspaceRoot).agentYaml
  if (!existsSync(file)) return DEFAULT_AGENT_CONFIG
  return parseAgentConfig(readFileSync(file, 'utf8'), file)
}

export function parseAgentConfig(text: string, fileLabel = 'agent.yaml'): AgentConfig {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, {lineCounter, prettyErrors: false})
  if (doc.errors.length > 0) {
    const first = doc.errors[0]
    const line = first.linePos?.[0]?.line ?? lineCounter.linePos(first.pos[0]).line
    throw new ConfigError(`${fileLabel}: YAML syntax error${line ? ` at line ${line}` : ''}: ${first.message.split('\n')[0]}`)
  }
  const raw = doc.toJS() ?? {}
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(`${fileLabel}: expected a mapping of settings at the top level`)
  }
  const parsed = agentConfigSchema.safeParse(raw)
  if (parsed.success) return parsed.data
  const problems = parsed.error.issues.slice(0, 3).map((issue) => {
    const keyPath = issue.path.map(String)
    const node = keyPath.length > 0 ? doc.getIn(issue.path as (string | number)[], true) : undefined
    const value = keyPath.length > 0 ? doc.getIn(issue.path as (string | number)[]) : undefined
    const offset = isNode(node) && node.range ? node.range[0] : locateParentKey(doc, keyPath)
    const line = offset === undefined ? undefined : lineCounter.linePos(offset).line
    const shown = value === undefined ? 'missing' : JSON.stringify(value)
    return `${keyPath.join('.') || '(top level)'} = ${shown}${line ? ` (line ${line})` : ''}: ${issue.message}`
  })
  throw new ConfigError(`${fileLabel} is invalid: ${problems.join('; ')}`)
}

/** For a missing key, point at the mapping that should contain it. */
function locateParentKey(doc: ReturnType<typeof parseDocument>, keyPath: string[]): number | undefined {
  for (let depth = keyPath.length - 1; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(keyPath.slice(0, depth), true)
    if (isMap(node) && node.range) return node.range[0]
  }
  return undefined
}
