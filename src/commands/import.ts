import {readFileSync} from 'node:fs'

import {Args, Flags} from '@oclif/core'

import {SignetCommand} from '../cli/base-command.js'
import {DaemonRequestError} from '../client/daemon-client.js'
import {createDaemonClient} from '../client/resolve-endpoint.js'
import {SignetError} from '../errors.js'
import {paint} from '../ui/output.js'

/** One memory as read from the file, with the line it came from (for error messages). */
interface ImportEntry {
  line: number
  memory: Record<string, unknown>
}

interface ImportResponse {
  imported: number
  deduped: number
  received: number
}

interface ImportSummary {
  file: string
  read: number
  imported: number
  deduped: number
  batches: number
  seconds: number
}

/** Batches stay under the daemon's 1 MiB body limit with room for the envelope. */
const MAX_BATCH_BYTES = 900 * 1024
const MAX_BATCH_ITEMS = 5000

export default class Import extends SignetCommand<typeof Import> {
  static override description = `Import memories in bulk from a JSON Lines or JSON file

Each memory is an object with "content" and optionally "tags", "importance", "pinned", "type",
"project", "createdAt" (ISO date, kept), "sessionKey" and "idempotencyKey" — or just a string.
The file is JSON Lines (one memory per line) or a JSON array (or {"memories": [...]}).
Memories go to the daemon in batches, each stored in one transaction: deduplicated like
remember (re-importing a file adds nothing), secrets redacted, searchable at once.`
  static override enableJsonFlag = true
  static override examples = [
    '<%= config.bin %> import notes.jsonl',
    '<%= config.bin %> import export.json --project github.com/acme/api --tags imported',
    'cat memories.jsonl | <%= config.bin %> import - --json',
  ]
  static override args = {
    file: Args.string({description: 'JSON Lines or JSON file to import, or - for standard input', required: true}),
  }
  static override flags = {
    project: Flags.string({description: 'project for memories that do not name one'}),
    tags: Flags.string({char: 't', description: 'comma-separated tags added to every memory'}),
    'agent-id': Flags.string({description: 'agent to store for (default: the key scope or "default")', env: 'SIGNET_AGENT_ID'}),
  }

  public async run(): Promise<ImportSummary> {
    const file = this.args.file
    let text: string
    try {
      text = readFileSync(file === '-' ? 0 : file, 'utf8')
    } catch (error) {
      throw new SignetError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
    }
    const extraTags = this.flags.tags?.split(',').map((tag) => tag.trim()).filter(Boolean) ?? []
    const entries = parseImportFile(text, file).map((entry) => ({
      line: entry.line,
      memory: withDefaults(entry.memory, {project: this.flags.project, tags: extraTags}),
    }))
    if (entries.length === 0) throw new SignetError(`${file} holds no memories`)

    const client = createDaemonClient({workspace: this.resolveWorkspace().path})
    const started = performance.now()
    const summary: ImportSummary = {file, read: entries.length, imported: 0, deduped: 0, batches: 0, seconds: 0}
    for (const batch of batches(entries)) {
      let response: ImportResponse
      try {
        response = await client.post<ImportResponse>('/api/memory/import', {memories: batch.map((entry) => entry.memory), agentId: this.flags['agent-id']})
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
    this.log(`${paint.green('✓')} Imported ${summary.imported.toLocaleString('en')} memories${known} from ${file} in ${summary.seconds} s`)
    return summary
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
    const list = (Array.isArray(whole) ? whole : (whole as {memories: unknown[]}).memories)
    return list.map((item, index) => ({line: index + 1, memory: asMemory(item, `${file}: item ${index + 1}`)}))
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
    entries.push({line: index + 1, memory: asMemory(value, `${file}:${index + 1}`)})
  }
  return entries
}

function asMemory(value: unknown, where: string): Record<string, unknown> {
  if (typeof value === 'string') return {content: value}
  if (isObject(value)) return value
  throw new SignetError(`${where}: expected an object with "content" or a string, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`)
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function withDefaults(memory: Record<string, unknown>, defaults: {project?: string; tags: string[]}): Record<string, unknown> {
  const result = {...memory}
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
  return new SignetError(`${file}:${entry.line}: ${field}: ${detail}${done}`)
}
