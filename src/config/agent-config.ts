import {existsSync, readFileSync} from 'node:fs'

import {closest, distance} from 'fastest-levenshtein'
import {isMap, isNode, isScalar, LineCounter, parseDocument} from 'yaml'
import englishMessages from 'zod/v4/locales/en.js'
import * as z from 'zod/mini'

import {ConfigError} from '../errors.js'
import {MAX_INJECT_CHARS} from '../hooks/inject-format.js'
import {POSTGRES_URL, redactDatabaseUrl} from './database-url.js'
import {workspacePaths} from './paths.js'

const POSTGRES_URL_HINT = 'a PostgreSQL URL such as postgres://signet@db.internal:5432/signet'

/** Settings whose value may hold a secret: an error names them without echoing the value. */
const SECRET_VALUES = new Map<string, (value: string) => string>([['storage.url', redactDatabaseUrl]])

// Every object is strict: an unknown key is an error, never ignored. A typo such as
// `auth: {mdoe: team}` used to run silently in `local` mode, the opposite of what was written.

/**
 * Parse options for a schema used once per process: by default zod compiles a fast path for an
 * object schema on its first parse (`new Function`), which pays off over many parses and costs
 * milliseconds on one.
 */
const ONCE = {jitless: true}

// zod/mini, not the chainable zod: each chained call there builds a schema object with every method
// attached, and building this schema cost ≈ 4 ms of `signet doctor` and of each daemon start
// (bench/README.md, "doctor"). Messages come from zod's English locale (buildSchemas sets it).

/** A number in [min, max] (either bound optional). */
const between = (schema: z.ZodMiniNumber | z.ZodMiniInt, min?: number, max?: number) =>
  schema.check(...(min === undefined ? [] : [z.minimum(min)]), ...(max === undefined ? [] : [z.maximum(max)]))

/**
 * The schemas, built on first use rather than at import: every CLI command imports this module
 * through the daemon client while most never read agent.yaml (B5 in bench/README.md).
 */
function buildSchemas() {
  z.config(englishMessages())
  const rateLimitSchema = z.strictObject({
    windowMs: z.int().check(z.positive()),
    max: z.int().check(z.positive()),
  })

  /** Tunables under `hooks:` (budgets and thresholds of the hook routes). */
  const hookSettingsSchema = z.strictObject({
    /** Recalled memories scoring below this (0..1) are not injected on a prompt. */
    promptMinScore: z._default(between(z.number(), 0, 1), 0.45),
    /**
     * …and must contain at least this many of the prompt's content words (all of them when the
     * prompt has fewer). A score alone lets one rare shared word ("leaves", "test") through: on
     * LoCoMo, 9 of 10 unrelated coding prompts cleared 0.45, none once two words must match,
     * while 98 % of real questions still got their memories.
     */
    promptMinMatchedTerms: z._default(between(z.int(), 1, 8), 2),
    promptMaxMemories: z._default(between(z.int(), 0, 20), 5),
    promptMaxChars: z._default(between(z.int(), 200, MAX_INJECT_CHARS), 4000),
    sessionStartMaxChars: z._default(between(z.int(), 500, MAX_INJECT_CHARS), MAX_INJECT_CHARS),
    sessionStartMemories: z._default(between(z.int(), 0, 100), 20),
    extractMemories: z._default(z.boolean(), true),
    refreshMemoryMd: z._default(z.boolean(), true),
  })

  /** A DNS name the daemon may be reached by (`box.tailnet.ts.net`); compared case-insensitively. */
  const hostnameField = z.pipe(
    z.pipe(
      z.string().check(z.trim(), z.toLowerCase(), z.maxLength(253)),
      // A fully qualified name's trailing dot is the same host (the Host guard ignores it too).
      z.transform((name: string) => (name.endsWith('.') ? name.slice(0, -1) : name)),
    ),
    z
      .string()
      .check(
        z.regex(
          /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/,
          'a host name such as box.tailnet.ts.net (no scheme, port or path)',
        ),
      ),
  )

  /**
   * Optional LLM extraction of durable memories after a session ends (the offline heuristics always
   * run; this adds to them). `command` runs a CLI the user already has (argv, no shell) with the
   * prompt on stdin; `openai` calls an OpenAI-compatible chat completions API. Both are bounded by
   * a timeout, a number of calls per hour and the characters of transcript sent.
   */
  const extractionSchema = z
    .strictObject({
      provider: z._default(z.enum(['none', 'command', 'openai']), 'none'),
      /** For `command`: the program and its arguments, e.g. ["claude", "-p"]. */
      command: z.optional(z.array(z.string().check(z.minLength(1))).check(z.minLength(1))),
      /** For `openai`: the API root (…/v1), the model, and the environment variable holding the key. */
      baseUrl: z.optional(z.url()),
      model: z.optional(z.string().check(z.minLength(1))),
      apiKeyEnv: z.optional(z.string().check(z.regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name such as OPENAI_API_KEY'))),
      timeoutMs: z._default(between(z.int(), 1000, 600_000), 120_000),
      maxCallsPerHour: z._default(between(z.int(), 0, 1000), 6),
      maxInputChars: z._default(between(z.int(), 1000, 400_000), 40_000),
      maxMemories: z._default(between(z.int(), 1, 50), 10),
    })
    .check(
      z.superRefine((value, ctx) => {
        if (value.provider === 'command' && !value.command)
          ctx.addIssue({code: 'custom', path: ['command'], message: 'required when provider is command (e.g. ["claude", "-p"])'})
        if (value.provider === 'openai' && !value.baseUrl) ctx.addIssue({code: 'custom', path: ['baseUrl'], message: 'required when provider is openai'})
        if (value.provider === 'openai' && !value.model) ctx.addIssue({code: 'custom', path: ['model'], message: 'required when provider is openai'})
      }),
    )
  const agentConfigSchema = z.strictObject({
    version: z._default(z.int().check(z.positive()), 1),
    agent: z._default(
      z.strictObject({
        name: z._default(z.string().check(z.minLength(1)), 'signet'),
        description: z.optional(z.string()),
      }),
      {name: 'signet'},
    ),
    network: z._default(
      z.strictObject({
        mode: z._default(z.enum(['localhost', 'tailscale']), 'localhost'),
        port: z._default(between(z.int(), 1, 65_535), 3850),
        /** Host names the daemon answers to besides localhost and IP literals (requests naming any other Host are refused). */
        hostnames: z._default(z.array(hostnameField), []),
      }),
      {mode: 'localhost', port: 3850, hostnames: []},
    ),
    auth: z._default(
      z.strictObject({
        mode: z._default(z.enum(['local', 'hybrid', 'team']), 'local'),
        trustedProxies: z._default(z.array(z.string()), []),
        rateLimits: z._default(
          z.strictObject({
            authFailures: z.optional(rateLimitSchema),
            pairClaim: z.optional(rateLimitSchema),
          }),
          {},
        ),
      }),
      {mode: 'local', trustedProxies: [], rateLimits: {}},
    ),
    embedding: z._default(
      z.strictObject({
        provider: z._default(z.enum(['none', 'local', 'ollama', 'openai']), 'none'),
        model: z.optional(z.string()),
        baseUrl: z.optional(z.url()),
        promptTimeoutMs: z.optional(z.int().check(z.positive())),
      }),
      {provider: 'none'},
    ),
    hooks: z._default(hookSettingsSchema, hookSettingsSchema.parse({}, ONCE)),
    extraction: z._default(extractionSchema, extractionSchema.parse({}, ONCE)),
    /** The agent network: who may message whom, and how much of a hook's answer messages may take. */
    agents: z._default(
      z.strictObject({
        /** open: any agent to any agent; same-project: only to agents seen in the sender's project; allowlist: only `allow`. */
        messaging: z._default(z.enum(['open', 'same-project', 'allowlist']), 'open'),
        /** For allowlist: `from->to` pairs (also `from→to`, `*` for any) or a bare agent id that may message anyone. */
        allow: z._default(
          z.array(z.string().check(z.regex(/^\s*[\w.:@*-]+\s*(?:(?:->|→)\s*[\w.:@*-]+\s*)?$/, 'an agent id, or a pair like claude->codex'))),
          [],
        ),
        /** Per sending agent. */
        rateLimit: z._default(rateLimitSchema, {windowMs: 60_000, max: 30}),
        /** Characters of a hook's answer that messages may take (the rest stays with memories). */
        maxInjectChars: z._default(between(z.int(), 0, 4000), 2000),
        idleAfterMs: z._default(z.int().check(z.positive()), 5 * 60_000),
        offlineAfterMs: z._default(z.int().check(z.positive()), 30 * 60_000),
      }),
      {
        messaging: 'open',
        allow: [],
        rateLimit: {windowMs: 60_000, max: 30},
        maxInjectChars: 2000,
        idleAfterMs: 5 * 60_000,
        offlineAfterMs: 30 * 60_000,
      },
    ),
    harnesses: z._default(z.array(z.string()), []),
    /** Indexed folders (`signet source add`): how often the daemon looks for changed files; 0 = only on `source reindex`. */
    sources: z._default(z.strictObject({scanIntervalSeconds: z._default(between(z.int(), 0, 86_400), 60)}), {scanIntervalSeconds: 60}),
    forge: z._default(z.strictObject({releaseUrl: z.optional(z.url())}), {}),
    /**
     * Where the daemon keeps its data: `sqlite` (the default, memory/memories.db, needs nothing) or
     * `postgres`, which several daemons can share. SIGNET_DATABASE_URL overrides `url` (keep a password
     * there rather than in this file); the URL is never printed with its password.
     */
    storage: z._default(
      z.strictObject({
        backend: z._default(z.enum(['sqlite', 'postgres']), 'sqlite'),
        url: z.optional(z.string().check(z.trim(), z.regex(POSTGRES_URL, POSTGRES_URL_HINT))),
        /** Connections one daemon may hold; several daemons share the server's max_connections. */
        poolSize: z._default(between(z.int(), 1, 100), 10),
      }),
      {backend: 'sqlite', poolSize: 10},
    ),
  })
  return {agentConfigSchema, hookSettingsSchema, extractionSchema}
}

let schemas: ReturnType<typeof buildSchemas> | undefined
const agentConfigSchema = () => (schemas ??= buildSchemas()).agentConfigSchema

/** Tunables under `hooks:` (budgets and thresholds of the hook routes). */
export type HookSettings = z.infer<ReturnType<typeof buildSchemas>['hookSettingsSchema']>
export type ExtractionSettings = z.infer<ReturnType<typeof buildSchemas>['extractionSchema']>
export type AgentConfig = z.infer<ReturnType<typeof buildSchemas>['agentConfigSchema']>

let defaults: AgentConfig | undefined

/**
 * The settings of a workspace without agent.yaml. Parsed on first use, not at import: a first zod
 * parse compiles the schema's parsers, ≈ 2–3 ms of every CLI start that never reads agent.yaml.
 */
export function defaultAgentConfig(): AgentConfig {
  return (defaults ??= agentConfigSchema().parse({}, ONCE))
}

/**
 * Read and validate `agent.yaml`. A missing file means defaults; an invalid one throws a
 * ConfigError naming the key path, the bad value and the line, so the daemon can refuse to start.
 */
export function loadAgentConfig(workspaceRoot: string): AgentConfig {
  const file = workspacePaths(workspaceRoot).agentYaml
  if (!existsSync(file)) return defaultAgentConfig()
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
  const parsed = agentConfigSchema().safeParse(raw, ONCE)
  if (parsed.success) return parsed.data
  const problems: string[] = []
  for (const issue of parsed.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push(describeUnknownKey(doc, lineCounter, issue.path as (string | number)[], key))
    } else {
      problems.push(describeInvalidValue(doc, lineCounter, issue))
    }
  }
  const shown = problems.slice(0, MAX_PROBLEMS_SHOWN)
  const more = problems.length > shown.length ? `; and ${problems.length - shown.length} more` : ''
  throw new ConfigError(`${fileLabel} is invalid: ${shown.join('; ')}${more}`)
}

const MAX_PROBLEMS_SHOWN = 5

type YamlDocument = ReturnType<typeof parseDocument>

function describeInvalidValue(doc: YamlDocument, lineCounter: LineCounter, issue: z.core.$ZodIssue): string {
  const keyPath = issue.path.map(String)
  const node = keyPath.length > 0 ? doc.getIn(issue.path as (string | number)[], true) : undefined
  const value = keyPath.length > 0 ? doc.getIn(issue.path as (string | number)[]) : undefined
  const offset = isNode(node) && node.range ? node.range[0] : locateParentKey(doc, keyPath)
  const line = offset === undefined ? undefined : lineCounter.linePos(offset).line
  const hide = SECRET_VALUES.get(keyPath.join('.'))
  const shown = value === undefined ? 'missing' : hide && typeof value === 'string' ? JSON.stringify(hide(value)) : JSON.stringify(value)
  return `${keyPath.join('.') || '(top level)'} = ${shown}${line ? ` (line ${line})` : ''}: ${issue.message}`
}

/** `auth.mdoe (line 2): unknown key — did you mean auth.mode?` */
function describeUnknownKey(doc: YamlDocument, lineCounter: LineCounter, parentPath: (string | number)[], key: string): string {
  const fullPath = [...parentPath.map(String), key].join('.')
  const parent = parentPath.length === 0 ? doc.contents : doc.getIn(parentPath, true)
  let line: number | undefined
  if (isMap(parent)) {
    const pair = parent.items.find((item) => (isScalar(item.key) ? String(item.key.value) : String(item.key)) === key)
    const offset = isNode(pair?.key) ? pair.key.range?.[0] : undefined
    if (offset !== undefined) line = lineCounter.linePos(offset).line
  }
  const valid = validKeysAt(parentPath)
  const suggestion = closestKey(key, valid)
  const prefix = parentPath.length > 0 ? `${parentPath.join('.')}.` : ''
  const hint = suggestion
    ? ` — did you mean ${prefix}${suggestion}?`
    : valid.length > 0
      ? ` (valid keys${prefix ? ` under ${prefix.slice(0, -1)}` : ''}: ${valid.join(', ')})`
      : ''
  return `${fullPath}${line ? ` (line ${line})` : ''}: unknown key${hint}`
}

/** The closest valid key when it is plausibly a typo: same letters in another case, or a few edits away. */
function closestKey(key: string, valid: string[]): string | undefined {
  if (valid.length === 0) return undefined
  const sameLetters = valid.find((candidate) => candidate.toLowerCase() === key.toLowerCase())
  if (sameLetters) return sameLetters
  const lowered = valid.map((candidate) => candidate.toLowerCase())
  const best = closest(key.toLowerCase(), lowered)
  const edits = distance(key.toLowerCase(), best)
  // Two edits cover a swapped pair of letters (mdoe → mode); longer keys allow a few more.
  return edits <= Math.max(2, Math.floor(best.length / 3)) ? valid[lowered.indexOf(best)] : undefined
}

/** The keys the schema allows at a path of nested objects (defaults and optionals unwrapped). */
function validKeysAt(keyPath: (string | number)[]): string[] {
  let schema: z.core.$ZodType | undefined = agentConfigSchema()
  for (const key of keyPath) {
    schema = unwrap(schema)
    if (schema instanceof z.ZodMiniObject) schema = (schema.shape as Record<string, z.core.$ZodType>)[String(key)]
    else if (schema instanceof z.ZodMiniArray) schema = schema._zod.def.element
    else return []
    if (!schema) return []
  }
  schema = unwrap(schema)
  return schema instanceof z.ZodMiniObject ? Object.keys(schema.shape) : []
}

function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let current = schema
  while (current instanceof z.ZodMiniDefault || current instanceof z.ZodMiniOptional) current = current._zod.def.innerType
  return current
}

/** For a missing key, point at the mapping that should contain it. */
function locateParentKey(doc: YamlDocument, keyPath: string[]): number | undefined {
  for (let depth = keyPath.length - 1; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(keyPath.slice(0, depth), true)
    if (isMap(node) && node.range) return node.range[0]
  }
  return undefined
}
