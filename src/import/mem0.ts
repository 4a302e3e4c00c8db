import {SignetError} from '../errors.js'
import {readBoundedText} from './bounded-file.js'
import {PeerReadBuilder, toImportMemory, type PeerRead} from './peer-memory.js'

/*
 * mem0's memories as its clients return them (`get_all`, the platform export, OpenMemory's
 * backup): `{"results": [...]}`, `{"memories": [...]}` or a bare array, each item with the text in
 * `memory`, plus `id`, `created_at`, `updated_at`, `categories`, `metadata`, `user_id` and
 * `agent_id`. JSON Lines (one item per line) is read too.
 */

const MAX_FILE_BYTES = 256 * 1024 * 1024

export function readMem0(file: string): PeerRead {
  const source = readBoundedText(file, MAX_FILE_BYTES)
  const items = parseItems(source, file)
  const result = new PeerReadBuilder()
  for (const {where, item} of items) {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw new SignetError(`${where}: expected a mem0 memory object with a "memory" field, got ${Array.isArray(item) ? 'an array' : typeof item}`)
    }
    const record = item as Record<string, unknown>
    const content = record.memory ?? record.text ?? record.content
    if (content !== undefined && typeof content !== 'string') {
      throw new SignetError(`${where}: "memory" must be text, got ${typeof content}`)
    }
    const metadata = typeof record.metadata === 'object' && record.metadata !== null ? (record.metadata as Record<string, unknown>) : {}
    const categories = Array.isArray(record.categories) ? record.categories : []
    result.add(
      toImportMemory(
        {
          content: content ?? '',
          type: typeof metadata.type === 'string' ? metadata.type : undefined,
          tags: [...categories, ...(Array.isArray(metadata.tags) ? metadata.tags : [])].map((tag) => (typeof tag === 'string' ? tag : undefined)),
          project: typeof metadata.project === 'string' ? metadata.project : undefined,
          createdAt: typeof record.created_at === 'string' ? record.created_at : undefined,
          origin: 'mem0',
        },
        where,
      ),
    )
  }
  return result
}

function parseItems(source: string, file: string): Array<{where: string; item: unknown}> {
  const trimmed = source.trim()
  if (trimmed === '') return []
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let whole: unknown
    let failure: Error | undefined
    try {
      whole = JSON.parse(trimmed)
    } catch (error) {
      failure = error as Error
    }
    if (failure === undefined) {
      const list = Array.isArray(whole) ? whole : listField(whole)
      if (!list) throw new SignetError(`${file}: expected a JSON array of mem0 memories or an object with "results" or "memories"`)
      return list.map((item, index) => ({where: `${file}: item ${index + 1}`, item}))
    }
    // A first line that is a whole JSON object means JSON Lines; anything else is a broken JSON document.
    if (!firstLineIsObject(trimmed)) throw new SignetError(`${file}:${errorLine(source, failure)}: not valid JSON (${failure.message})`)
  }
  const items: Array<{where: string; item: unknown}> = []
  let line = 0
  for (const raw of source.split('\n')) {
    line++
    if (raw.trim() === '') continue
    try {
      items.push({where: `${file}:${line}`, item: JSON.parse(raw)})
    } catch (error) {
      throw new SignetError(`${file}:${line}: not JSON (${(error as Error).message})`)
    }
  }
  return items
}

function firstLineIsObject(text: string): boolean {
  const newline = text.indexOf('\n')
  if (newline === -1) return false
  try {
    const first: unknown = JSON.parse(text.slice(0, newline))
    return typeof first === 'object' && first !== null && !Array.isArray(first)
  } catch {
    return false
  }
}

function listField(value: unknown): unknown[] | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const record = value as Record<string, unknown>
  if (Array.isArray(record.results)) return record.results
  if (Array.isArray(record.memories)) return record.memories
  return undefined
}

/** The line of a JSON.parse error, from the position V8 reports. */
function errorLine(source: string, error: Error): number {
  const lineMatch = /line (\d+)/.exec(error.message)
  if (lineMatch) return Number(lineMatch[1])
  const position = /position (\d+)/.exec(error.message)
  if (!position) return 1
  const offset = source.length - source.trimStart().length + Number(position[1])
  let line = 1
  for (let index = 0; index < offset && index < source.length; index++) if (source.charCodeAt(index) === 10) line++
  return line
}
