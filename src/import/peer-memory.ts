/**
 * What every importer (our own JSON Lines, claude-mem, mem0, basic-memory) produces: memories in
 * the daemon's import shape, each with where it came from, plus what was left out and why.
 */

/** The daemon's limits on one memory, checked here so a dry run reports what the import would refuse. */
export const MAX_CONTENT_CHARS = 100_000
const MAX_TAGS = 32
const MAX_TAG_CHARS = 64
const MAX_PROJECT_CHARS = 512
const MEMORY_TYPE = /^[a-z_]{1,32}$/

export interface ImportMemory {
  content: string
  type?: string
  tags?: string[]
  importance?: number
  pinned?: boolean
  project?: string
  createdAt?: string
  agentId?: string
  /** The store it came from (`claude-mem`, `mem0`, `basic-memory`); the daemon records `import:<origin>`. */
  origin?: string
  [field: string]: unknown
}

export interface ImportEntry {
  /** A file and line, a file and item, or a table and row id: what an error message points at. */
  where: string
  memory: ImportMemory
}

export interface SkippedItem {
  where: string
  reason: string
}

export interface PeerRead {
  entries: ImportEntry[]
  skipped: SkippedItem[]
}

/**
 * Fits a peer's record to our fields, or says why it cannot be imported. Tags are lower-cased and
 * deduplicated (as the store does); a type we cannot store becomes a tag so nothing is lost.
 */
export function toImportMemory(
  raw: {content: string; type?: string | null; tags?: Array<string | null | undefined>; project?: string | null; createdAt?: string | null; origin: string},
  where: string,
): ImportEntry | SkippedItem {
  const content = raw.content.trim()
  if (content === '') return {where, reason: 'no text'}
  if (content.length > MAX_CONTENT_CHARS)
    return {where, reason: `longer than ${MAX_CONTENT_CHARS.toLocaleString('en')} characters (${content.length.toLocaleString('en')})`}
  const tags = new Set<string>([raw.origin])
  let type: string | undefined
  const peerType = raw.type
    ?.trim()
    .toLowerCase()
    .replaceAll(/[\s-]+/g, '_')
  if (peerType) {
    if (MEMORY_TYPE.test(peerType)) type = peerType
    else tags.add(peerType)
  }
  for (const tag of raw.tags ?? []) {
    const clean = tag?.trim().toLowerCase()
    if (clean && clean.length <= MAX_TAG_CHARS) tags.add(clean)
  }
  const memory: ImportMemory = {content, tags: [...tags].slice(0, MAX_TAGS), origin: raw.origin}
  if (type) memory.type = type
  const project = raw.project?.trim()
  if (project) memory.project = project.slice(0, MAX_PROJECT_CHARS)
  const createdAt = raw.createdAt ? new Date(raw.createdAt) : undefined
  if (createdAt && !Number.isNaN(createdAt.getTime())) memory.createdAt = createdAt.toISOString()
  return {where, memory}
}

export function isSkipped(item: ImportEntry | SkippedItem): item is SkippedItem {
  return 'reason' in item
}

/** Collects results into entries and skips, in source order. */
export class PeerReadBuilder implements PeerRead {
  entries: ImportEntry[] = []
  skipped: SkippedItem[] = []

  add(item: ImportEntry | SkippedItem): void {
    if (isSkipped(item)) this.skipped.push(item)
    else this.entries.push(item)
  }
}
