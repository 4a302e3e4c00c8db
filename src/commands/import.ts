import {readFileSync} from 'node:fs'

import {Args, Flags} from '@oclif/core'

import type {ResponseOf} from '../api/contract.js'
import {SignetCommand} from '../cli/base-command.js'
import {DaemonRequestError} from '../client/daemon-client.js'
import {createDaemonClient} from '../client/resolve-endpoint.js'
import {SignetError} from '../errors.js'
import {readBasicMemory} from '../import/basic-memory.js'
import {planImport, renderPlan, type ImportPlan} from '../import/import-plan.js'
import {readMem0} from '../import/mem0.js'
import type {ImportEntry, ImportMemory, PeerRead} from '../import/peer-memory.js'
import {paint} from '../ui/output.js'

/** The stores `--from` reads, and what each expects as the path. */
const SOURCES = {
  signet: 'a JSON Lines or JSON file (signet export), or - for standard input',
  'claude-mem': "claude-mem's SQLite database (usually ~/.claude-mem/claude-mem.db), opened read-only",
  mem0: 'a mem0 export: JSON from get_all / the platform export ({"results": [...]}) or JSON Lines',
  'basic-memory': 'a basic-memory project folder of Markdown notes',
} as const
type Source = keyof typeof SOURCES

interface ImportSummary {
  file: string
  from: Source
  read: number
  skipped: number
  imported: number
  deduped: number
  agents: number
  batches: number
  seconds: number
}

/** Batches stay under the daemon's 1 MiB body limit with room for the envelope. */
const MAX_BATCH_BYTES = 900 * 1024
const MAX_BATCH_ITEMS = 5000

export default class Import extends SignetCommand<typeof Import> {
  static override description = `Import memories in bulk: a signet export, or the store you are leaving

By default the file is JSON Lines (one memory per line) or a JSON array (or {"memories": [...]}):
each memory an object with "content" and optionally "tags", "importance", "pinned", "type",
"project", "createdAt" (ISO date, kept), "agentId", "sessionKey" and "idempotencyKey" — or just
a string. An "agentId" puts the memory under that agent (a whole-store export round-trips);
--agent-id overrides it, and a key scoped to an agent always imports into its own agent.

--from reads another memory store instead:
- claude-mem: ${SOURCES['claude-mem']}
- mem0: ${SOURCES.mem0}
- basic-memory: ${SOURCES['basic-memory']}

Each record maps to content, type, tags (plus the store's name), project and created date, and
is recorded as imported from that store. --dry-run reports what would be imported (counts by
type, project and tag, samples, and what is skipped and why) without writing anything.

Memories go to the daemon in batches, each stored in one transaction: deduplicated like
remember (re-importing a file adds nothing), secrets redacted, searchable at once.`
  static override enableJsonFlag = true
  static override examples = [
    '<%= config.bin %> import notes.jsonl',
    '<%= config.bin %> import export.json --project github.com/acme/api --tags imported',
    'cat memories.jsonl | <%= config.bin %> import - --json',
    '<%= config.bin %> import --from claude-mem ~/.claude-mem/claude-mem.db --dry-run',
    '<%= config.bin %> import --from mem0 mem0-export.json',
    '<%= config.bin %> import --from basic-memory ~/basic-memory',
  ]
  static override args = {
    file: Args.string({description: 'what to import: a file, - for standard input, or a folder (basic-memory)', required: true}),
  }
  static override flags = {
    project: Flags.string({description: 'project for memories that do not name one'}),
    tags: Flags.string({char: 't', description: 'comma-separated tags added to every memory'}),
    'agent-id': Flags.string({description: 'agent to store for, over any "agentId" in the file (default: the key scope or "default")', env: 'SIGNET_AGENT_ID'}),
    from: Flags.string({description: 'the store the file comes from', options: Object.keys(SOURCES), default: 'signet'}),
    'dry-run': Flags.boolean({description: 'report what would be imported, write nothing'}),
  }

  public async run(): Promise<ImportSummary | ImportPlan> {
    const file = this.args.file
    const from = this.flags.from as Source
    const read = await readSource(from, file)
    const extraTags =
      this.flags.tags
        ?.split(',')
        .map((tag) => tag.trim())
        .filter(Boolean) ?? []
    const agentOverride = this.flags['agent-id']
    const entries = read.entries.map((entry) => ({
      where: entry.where,
      memory: withDefaults(entry.memory, {project: this.flags.project, tags: extraTags, agentOverride}),
    }))
    if (this.flags['dry-run']) {
      const plan = planImport(entries, read.skipped)
      if (!this.jsonEnabled()) this.log(renderPlan(plan, file))
      return plan
    }
    if (entries.length === 0) {
      const skipped = read.skipped.length > 0 ? ` (${read.skipped.length} skipped: run with --dry-run to see why)` : ''
      throw new SignetError(`${file} holds no memories${skipped}`)
    }

    const client = createDaemonClient({workspace: this.resolveWorkspace().path})
    const started = performance.now()
    const agents = new Set(entries.map((entry) => entry.memory.agentId ?? agentOverride ?? '')).size
    const summary: ImportSummary = {file, from, read: entries.length, skipped: read.skipped.length, imported: 0, deduped: 0, agents, batches: 0, seconds: 0}
    for (const batch of batches(entries)) {
      let response: ResponseOf<'POST /api/memory/import'>
      try {
        response = await client.call('POST /api/memory/import', {body: {memories: batch.map((entry) => entry.memory), agentId: agentOverride}})
      } catch (error) {
        throw locateItemError(error, batch, file, summary)
      }
      summary.imported += response.imported
      summary.deduped += response.deduped
      summary.batches++
      if (process.stderr.isTTY && !this.jsonEnabled()) process.stderr.write(`\r${summary.imported + summary.deduped}/${entries.length}`)
    }
    if (process.stderr.isTTY && !this.jsonEnabled()) process.stderr.write('\r\x1b[K')
    summary.seconds = Math.round((performance.now() - started) / 10) / 100
    const known = summary.deduped > 0 ? ` (${summary.deduped.toLocaleString('en')} already known)` : ''
    const agentNote = agents > 1 ? ` into ${agents} agents` : ''
    const skippedNote = summary.skipped > 0 ? `; ${summary.skipped.toLocaleString('en')} skipped (see --dry-run)` : ''
    this.log(
      `${paint.green('✓')} Imported ${summary.imported.toLocaleString('en')} memories${known}${agentNote} from ${file} in ${summary.seconds} s${skippedNote}`,
    )
    return summary
  }
}

async function readSource(from: Source, file: string): Promise<PeerRead> {
  if (file === '-' && from !== 'signet') throw new SignetError(`--from ${from} reads ${SOURCES[from]}, not standard input`)
  switch (from) {
    case 'claude-mem': {
      // Loaded only here: the SQLite module is optional, so a machine that only runs connectors installs without it.
      let reader: typeof import('../import/claude-mem.js')
      try {
        reader = await import('../import/claude-mem.js')
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error
        throw new SignetError(
          "--from claude-mem needs the SQLite module (better-sqlite3), which did not install on this machine — run `npm rebuild better-sqlite3` where signetai is installed, or import on the daemon's machine",
        )
      }
      return reader.readClaudeMem(file)
    }
    case 'mem0':
      return readMem0(file)
    case 'basic-memory':
      return readBasicMemory(file)
    case 'signet': {
      let text: string
      try {
        text = readFileSync(file === '-' ? 0 : file, 'utf8')
      } catch (error) {
        throw new SignetError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
      }
      return {entries: parseImportFile(text, file), skipped: []}
    }
  }
}

/** A JSON array (or `{memories: [...]}`) when the whole text parses; JSON Lines otherwise. */
export function parseImportFile(text: string, file: string): ImportEntry[] {
  const trimmed = text.trim()
  if (trimmed === '') return []
  let whole: unknown
  try {
    whole = JSON.parse(trimmed)
  } catch {
    whole = undefined
  }
  if (Array.isArray(whole) || (isObject(whole) && Array.isArray(whole.memories))) {
    const list = Array.isArray(whole) ? whole : (whole as {memories: unknown[]}).memories
    return list.map((item, index) => ({where: `${file}: item ${index + 1}`, memory: asMemory(item, `${file}: item ${index + 1}`)}))
  }
  const entries: ImportEntry[] = []
  const lines = text.split(/\r?\n/)
  for (const [index, raw] of lines.entries()) {
    if (raw.trim() === '') continue
    let value: unknown
    try {
      value = JSON.parse(raw)
    } catch (error) {
      throw new SignetError(`${file}:${index + 1}: not JSON (${(error as Error).message}) — one memory per line, as an object with "content" or a string`)
    }
    entries.push({where: `${file}:${index + 1}`, memory: asMemory(value, `${file}:${index + 1}`)})
  }
  return entries
}

function asMemory(value: unknown, where: string): ImportMemory {
  if (typeof value === 'string') return {content: value}
  if (isObject(value)) return value as ImportMemory
  throw new SignetError(`${where}: expected an object with "content" or a string, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`)
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function withDefaults(memory: ImportMemory, defaults: {project?: string; tags: string[]; agentOverride?: string}): ImportMemory {
  const result = {...memory}
  // An explicit --agent-id wins over the agent each exported memory names.
  if (defaults.agentOverride !== undefined) delete result.agentId
  if (defaults.project !== undefined && result.project === undefined) result.project = defaults.project
  if (defaults.tags.length > 0) result.tags = [...new Set([...(Array.isArray(result.tags) ? result.tags : []), ...defaults.tags])]
  return result
}

function* batches(entries: ImportEntry[]): Generator<ImportEntry[]> {
  let batch: ImportEntry[] = []
  let bytes = 0
  for (const entry of entries) {
    const size = Buffer.byteLength(JSON.stringify(entry.memory)) + 1
    if (batch.length > 0 && (bytes + size > MAX_BATCH_BYTES || batch.length >= MAX_BATCH_ITEMS)) {
      yield batch
      batch = []
      bytes = 0
    }
    batch.push(entry)
    bytes += size
  }
  if (batch.length > 0) yield batch
}

/** The daemon names a bad item as `memories.<index>.<field>`: point at the file's line instead. */
function locateItemError(error: unknown, batch: ImportEntry[], file: string, summary: ImportSummary): unknown {
  const done = summary.imported + summary.deduped > 0 ? ` (${summary.imported + summary.deduped} memories before it were stored)` : ''
  if (!(error instanceof DaemonRequestError) || error.status !== 400) return error
  const body = error.body as {error?: string; field?: string} | undefined
  const match = /^memories\.(\d+)\.?(.*)$/.exec(body?.field ?? '')
  const entry = match ? batch[Number(match[1])] : undefined
  if (!entry) return new SignetError(`${error.message}${done}`)
  const field = match?.[2] || 'memory'
  const detail = (body?.error ?? '').replace(/^memories\.\d+\.[\w.]*:\s*/, '')
  return new SignetError(`${entry.where}: ${field}: ${detail}${done}`)
}
