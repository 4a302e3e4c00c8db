import {createHash} from 'node:crypto'
import {constants as fsConstants, type Dirent} from 'node:fs'
import {lstat, open, readdir, readFile, realpath, stat} from 'node:fs/promises'
import path from 'node:path'

import ignore, {type Ignore} from 'ignore'

import type {SqliteDatabase} from './db.js'
import {orQuery, queryTerms} from './query-terms.js'
import {redactText} from './redaction.js'

/**
 * Sources: folders of text, Markdown and code the owner asked the daemon to index, searchable by
 * `path:line`. Sources are workspace-wide (not per agent or project): whoever may recall may search
 * them, and only the owner (or an admin key) may add one, since that reads files off this machine.
 *
 * Reading rules, so a source only ever exposes what lies inside the folder the owner chose:
 * - symbolic links are never followed (neither directories nor files; a file is opened with
 *   O_NOFOLLOW, so swapping a file for a link between listing and reading does not escape);
 * - `.git` is never read and every `.gitignore` on the way down is respected;
 * - binary files, files over MAX_FILE_BYTES and dotenv files are skipped and counted;
 * - chunk text is redacted before it is stored.
 */

export const MAX_FILE_BYTES = 1024 * 1024
/** A folder bigger than this is indexed up to here; `source list` says it stopped. */
export const MAX_FILES_PER_SOURCE = 20_000
const MIN_CHUNK_LINES = 40
const MAX_CHUNK_LINES = 80
/** A Markdown heading starts a new chunk once this many lines are collected. */
const MIN_LINES_BEFORE_HEADING = 8
const BINARY_SNIFF_BYTES = 8000

export type SkipReason = 'binary' | 'too-large' | 'secret-file' | 'unreadable' | 'file-limit'

export const SKIP_REASON_TEXT: Record<SkipReason, string> = {
  binary: 'binary',
  'too-large': `over ${MAX_FILE_BYTES / 1024 / 1024} MB`,
  'secret-file': 'dotenv (secrets)',
  unreadable: 'unreadable',
  'file-limit': `past the ${MAX_FILES_PER_SOURCE} file limit`,
}

export interface SourceSummary {
  name: string
  root: string
  includes: string[]
  createdAt: string
  indexedAt: string | null
  files: number
  chunks: number
  /** Files left out, by reason (ignored files are not counted: they were never meant to be there). */
  skipped: Partial<Record<SkipReason, number>>
  /** A few of the skipped paths, so the owner can see what they are. */
  skippedExamples: Array<{path: string; reason: SkipReason}>
  error: string | null
}

export interface SourceSearchHit {
  source: string
  path: string
  startLine: number
  endLine: number
  /** The line of the chunk that matches best (its snippet is that line with one either side). */
  line: number
  snippet: string
  score: number
}

export interface IndexReport {
  source: string
  scanned: number
  changed: number
  removed: number
  unchanged: number
  skipped: Partial<Record<SkipReason, number>>
  ms: number
}

export interface Chunk {
  startLine: number
  endLine: number
  text: string
}

interface SourceRow {
  name: string
  root: string
  includes: string
  created_at: string
  indexed_at: string | null
  skipped: string
  error: string | null
}

interface StoredSkips {
  counts: Partial<Record<SkipReason, number>>
  examples: Array<{path: string; reason: SkipReason}>
}

const isMarkdownHeading = (line: string) => line.startsWith('#') && /^#{1,6}\s/.test(line)

/**
 * Split a file into chunks of about MIN..MAX lines, cutting at a blank line or before a Markdown
 * heading where possible. Line numbers are 1-based and inclusive; blank edges are trimmed off.
 */
export function chunkLines(text: string): Chunk[] {
  const lines = text.split(/\r?\n/)
  const chunks: Chunk[] = []
  let start = 0
  const flush = (end: number) => {
    let first = start
    let last = end - 1
    while (first <= last && lines[first].trim() === '') first++
    while (last >= first && lines[last].trim() === '') last--
    if (first <= last) chunks.push({startLine: first + 1, endLine: last + 1, text: lines.slice(first, last + 1).join('\n')})
    start = end
  }
  for (let index = 0; index < lines.length; index++) {
    const size = index - start
    if (size >= MAX_CHUNK_LINES) flush(index)
    else if (size >= MIN_CHUNK_LINES && lines[index].trim() === '') flush(index)
    else if (size >= MIN_LINES_BEFORE_HEADING && isMarkdownHeading(lines[index])) flush(index)
  }
  flush(lines.length)
  return chunks
}

/** `applyPelicanDiscount`, `HTTPServer2`, → their lowercase parts; one pass over the characters. */
function identifierParts(token: string): string[] {
  const parts: string[] = []
  let current = ''
  for (let index = 0; index < token.length; index++) {
    const char = token[index]
    const upper = char !== char.toLowerCase()
    const previous = token[index - 1]
    const next = token[index + 1]
    const startsWord = current !== '' && upper && (previous !== previous.toUpperCase() || (next !== undefined && next !== next.toUpperCase()))
    if (startsWord) {
      parts.push(current)
      current = ''
    }
    current += char
  }
  if (current !== '') parts.push(current)
  return parts.map((part) => part.toLowerCase())
}

/**
 * The extra words a chunk is findable by: parts of identifiers the tokenizer keeps whole
 * (camelCase, PascalCase). snake_case and kebab-case are already split by the tokenizer.
 */
export function identifierWords(text: string): string {
  const words = new Set<string>()
  for (const match of text.matchAll(/[\p{L}\p{N}]+/gu)) {
    const parts = identifierParts(match[0])
    if (parts.length > 1) for (const part of parts) words.add(part)
  }
  return [...words].join(' ')
}

/** The line of a chunk holding the most query words (with a line of context each side), and its number. */
function bestLines(content: string, startLine: number, terms: string[]): {snippet: string; line: number} {
  const lines = content.split('\n')
  let best = 0
  let bestScore = -1
  for (let index = 0; index < lines.length; index++) {
    const lower = lines[index].toLowerCase()
    let score = 0
    for (const term of terms) if (lower.includes(term)) score++
    if (score > bestScore) {
      best = index
      bestScore = score
    }
  }
  // The best line with one line of context before it and after it, blank lines not counted.
  const before = lines
    .slice(Math.max(0, best - 2), best)
    .filter((line) => line.trim() !== '')
    .slice(-1)
  const after = lines
    .slice(best + 1, best + 4)
    .filter((line) => line.trim() !== '')
    .slice(0, 1)
  const shown = [...before, lines[best], ...after].map((line) => (line.length > 200 ? `${line.slice(0, 200)}…` : line))
  return {snippet: shown.join('\n').trim(), line: startLine + best}
}

function looksBinary(buffer: Buffer): boolean {
  return buffer.subarray(0, BINARY_SNIFF_BYTES).includes(0)
}

const isDotenv = (name: string) => name === '.env' || name.startsWith('.env.')

/** Relative paths inside a source always use `/`, whatever the platform. */
const toPosix = (relative: string) => relative.split(path.sep).join('/')

/** The `.gitignore` rules in force in one directory, relative to where each file was found. */
interface IgnoreLayer {
  /** The directory holding the .gitignore, relative to the source root ('' for the root). */
  base: string
  rules: Ignore
}

function ignoredBy(layers: IgnoreLayer[], relative: string, isDirectory: boolean): boolean {
  for (const layer of layers) {
    const inLayer = layer.base === '' ? relative : relative.slice(layer.base.length + 1)
    if (matches(layer.rules, isDirectory ? `${inLayer}/` : inLayer)) return true
  }
  return false
}

/**
 * `ignore` throws on a path that is not `path.relative()`-shaped (`..`, `./x`). Names from readdir
 * never look like that, but if one ever did, that file is left out rather than the whole scan failing.
 */
function matches(rules: Ignore, relative: string): boolean {
  try {
    return rules.ignores(relative)
  } catch {
    return true
  }
}

export class SourceStore {
  /** One scan per source at a time: a reindex asked for during a scan runs after it, so it sees the latest files. */
  private readonly running = new Map<string, Promise<IndexReport>>()
  private stopping = false

  /**
   * `neverIndex`: absolute directories skipped wherever they turn up inside a source (the daemon
   * passes its own `.daemon/`, which holds the admin token: a source over the whole home folder
   * must not make it searchable by every key that may recall).
   */
  constructor(
    private readonly db: SqliteDatabase,
    private readonly neverIndex: readonly string[] = [],
  ) {}

  get(name: string): SourceSummary | undefined {
    const row = this.db.prepare('SELECT * FROM sources WHERE name = ?').get(name) as SourceRow | undefined
    return row ? this.present(row) : undefined
  }

  byRoot(root: string): SourceSummary | undefined {
    const row = this.db.prepare('SELECT * FROM sources WHERE root = ?').get(root) as SourceRow | undefined
    return row ? this.present(row) : undefined
  }

  list(): SourceSummary[] {
    return (this.db.prepare('SELECT * FROM sources ORDER BY name').all() as SourceRow[]).map((row) => this.present(row))
  }

  /** Register a folder (the caller checked that `root` is a real directory, resolved through realpath). */
  add(name: string, root: string, includes: string[]): SourceSummary {
    this.db
      .prepare('INSERT INTO sources (name, root, includes, created_at) VALUES (?, ?, ?, ?)')
      .run(name, root, JSON.stringify(includes), new Date().toISOString())
    return this.get(name)!
  }

  remove(name: string): boolean {
    const removed = this.db.transaction(() => {
      this.db.prepare('DELETE FROM source_chunks WHERE source = ?').run(name)
      this.db.prepare('DELETE FROM source_files WHERE source = ?').run(name)
      return this.db.prepare('DELETE FROM sources WHERE name = ?').run(name).changes > 0
    })()
    return removed
  }

  /** Bring the index of one source up to date with its folder; concurrent calls queue behind each other. */
  reindex(name: string): Promise<IndexReport> {
    const previous = this.running.get(name) ?? Promise.resolve(undefined)
    const next = previous.catch(() => undefined).then(() => this.scan(name))
    this.running.set(name, next)
    const forget = () => {
      if (this.running.get(name) === next) this.running.delete(name)
    }
    next.then(forget, forget)
    return next
  }

  /** Stop scans at the next file and wait for them (before the database closes). */
  async stop(): Promise<void> {
    this.stopping = true
    await Promise.allSettled([...this.running.values()])
  }

  /** Every source, one after another (the periodic background scan). */
  async reindexAll(): Promise<IndexReport[]> {
    const reports: IndexReport[] = []
    for (const source of this.list()) {
      try {
        reports.push(await this.reindex(source.name))
      } catch {
        // recorded on the source row (error), shown by `source list`
      }
    }
    return reports
  }

  search(options: {query: string; limit: number; source?: string}): SourceSearchHit[] {
    const terms = queryTerms(options.query)
    const match = orQuery(terms)
    if (!match) return []
    const params: Record<string, unknown> = {match, limit: options.limit}
    let where = 'source_chunks_fts MATCH @match'
    if (options.source !== undefined) {
      where += ' AND c.source = @source'
      params.source = options.source
    }
    const rows = this.db
      .prepare(
        `SELECT c.source, c.path, c.start_line, c.end_line, c.content, -bm25(source_chunks_fts) AS relevance
        FROM source_chunks_fts JOIN source_chunks c ON c.seq = source_chunks_fts.rowid
        WHERE ${where}
        ORDER BY relevance DESC LIMIT @limit`,
      )
      .all(params) as Array<{source: string; path: string; start_line: number; end_line: number; content: string; relevance: number}>
    return rows.map((row) => {
      const relevance = Math.max(0, row.relevance)
      return {
        source: row.source,
        path: row.path,
        startLine: row.start_line,
        endLine: row.end_line,
        ...bestLines(row.content, row.start_line, terms),
        score: Math.round((relevance / (relevance + 3)) * 1000) / 1000,
      }
    })
  }

  private present(row: SourceRow): SourceSummary {
    const counts = this.db.prepare('SELECT count(*) AS files, coalesce(sum(chunks), 0) AS chunks FROM source_files WHERE source = ?').get(row.name) as {
      files: number
      chunks: number
    }
    const skipped = JSON.parse(row.skipped) as Partial<StoredSkips>
    return {
      name: row.name,
      root: row.root,
      includes: JSON.parse(row.includes) as string[],
      createdAt: row.created_at,
      indexedAt: row.indexed_at,
      files: counts.files,
      chunks: counts.chunks,
      skipped: skipped.counts ?? {},
      skippedExamples: skipped.examples ?? [],
      error: row.error,
    }
  }

  private async scan(name: string): Promise<IndexReport> {
    if (this.stopping) throw new Error('the daemon is stopping')
    const started = performance.now()
    const source = this.get(name)
    if (!source) throw new Error(`source '${name}' was removed`)
    const report: IndexReport = {source: name, scanned: 0, changed: 0, removed: 0, unchanged: 0, skipped: {}, ms: 0}
    const skips: StoredSkips = {counts: {}, examples: []}
    const skip = (relative: string, reason: SkipReason) => {
      skips.counts[reason] = (skips.counts[reason] ?? 0) + 1
      if (skips.examples.length < 10) skips.examples.push({path: relative, reason})
    }
    const includes = source.includes.length > 0 ? ignore().add(source.includes) : undefined
    const known = new Map(
      (
        this.db.prepare('SELECT path, size, mtime_ms, hash FROM source_files WHERE source = ?').all(name) as Array<{
          path: string
          size: number
          mtime_ms: number
          hash: string
        }>
      ).map((row) => [row.path, row]),
    )
    const seen = new Set<string>()
    try {
      // The root must still be the directory the owner chose, not something swapped in for it.
      const rootStat = await lstat(source.root)
      if (!rootStat.isDirectory()) throw new Error(`${source.root} is no longer a directory`)
      await this.walk(source.root, '', [], async (relative, absolute) => {
        if (includes && !matches(includes, relative)) return
        if (seen.size >= MAX_FILES_PER_SOURCE) {
          skip(relative, 'file-limit')
          return
        }
        if (isDotenv(path.posix.basename(relative))) {
          skip(relative, 'secret-file')
          return
        }
        report.scanned++
        let info
        try {
          info = await stat(absolute)
        } catch {
          skip(relative, 'unreadable')
          return
        }
        if (info.size > MAX_FILE_BYTES) {
          skip(relative, 'too-large')
          return
        }
        const before = known.get(relative)
        if (before && before.size === info.size && before.mtime_ms === info.mtimeMs) {
          seen.add(relative)
          report.unchanged++
          return
        }
        let buffer: Buffer
        try {
          buffer = await readNoFollow(absolute)
        } catch {
          skip(relative, 'unreadable')
          return
        }
        if (looksBinary(buffer)) {
          skip(relative, 'binary')
          return
        }
        seen.add(relative)
        const hash = createHash('sha256').update(buffer).digest('hex')
        if (before && before.hash === hash) {
          this.db.prepare('UPDATE source_files SET size = ?, mtime_ms = ? WHERE source = ? AND path = ?').run(info.size, info.mtimeMs, name, relative)
          report.unchanged++
          return
        }
        this.storeFile(source, relative, buffer.toString('utf8'), {size: info.size, mtimeMs: info.mtimeMs, hash})
        report.changed++
      })
    } catch (error) {
      if (!this.stopping) this.db.prepare('UPDATE sources SET error = ? WHERE name = ?').run((error as Error).message, name)
      throw error
    }
    if (!this.db.prepare('SELECT 1 FROM sources WHERE name = ? AND root = ?').get(source.name, source.root)) {
      throw new Error(`source '${name}' was removed during the scan`)
    }
    for (const relative of known.keys()) {
      if (seen.has(relative)) continue
      this.dropFile(name, relative)
      report.removed++
    }
    report.skipped = skips.counts
    report.ms = Math.round(performance.now() - started)
    this.db.prepare('UPDATE sources SET indexed_at = ?, skipped = ?, error = NULL WHERE name = ?').run(new Date().toISOString(), JSON.stringify(skips), name)
    return report
  }

  private storeFile(source: SourceSummary, relative: string, text: string, meta: {size: number; mtimeMs: number; hash: string}): void {
    const chunks = chunkLines(text)
    this.db.transaction(() => {
      // Removed (or removed and added again elsewhere) while this scan ran: write nothing for it.
      if (!this.db.prepare('SELECT 1 FROM sources WHERE name = ? AND root = ?').get(source.name, source.root)) {
        throw new Error(`source '${source.name}' was removed during the scan`)
      }
      this.db.prepare('DELETE FROM source_chunks WHERE source = ? AND path = ?').run(source.name, relative)
      const insert = this.db.prepare('INSERT INTO source_chunks (source, path, start_line, end_line, content, words) VALUES (?, ?, ?, ?, ?, ?)')
      for (const chunk of chunks) {
        const content = redactText(chunk.text)
        insert.run(source.name, relative, chunk.startLine, chunk.endLine, content, identifierWords(content))
      }
      this.db
        .prepare(
          `INSERT INTO source_files (source, path, size, mtime_ms, hash, chunks) VALUES (?, ?, ?, ?, ?, ?)
          ON CONFLICT (source, path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms, hash = excluded.hash, chunks = excluded.chunks`,
        )
        .run(source.name, relative, meta.size, meta.mtimeMs, meta.hash, chunks.length)
    })()
  }

  private dropFile(source: string, relative: string): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM source_chunks WHERE source = ? AND path = ?').run(source, relative)
      this.db.prepare('DELETE FROM source_files WHERE source = ? AND path = ?').run(source, relative)
    })()
  }

  /** Depth-first walk of regular files, never through a symbolic link, honouring every .gitignore on the way. */
  private async walk(
    absoluteDir: string,
    relativeDir: string,
    layers: IgnoreLayer[],
    visit: (relative: string, absolute: string) => Promise<void>,
  ): Promise<void> {
    let entries: Dirent[]
    try {
      entries = await readdir(absoluteDir, {withFileTypes: true})
    } catch {
      return
    }
    let here = layers
    const gitignore = entries.find((entry) => entry.name === '.gitignore' && entry.isFile())
    if (gitignore) {
      try {
        here = [...layers, {base: relativeDir, rules: ignore().add(await readFile(path.join(absoluteDir, '.gitignore'), 'utf8'))}]
      } catch {
        // an unreadable .gitignore ignores nothing
      }
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const entry of entries) {
      if (this.stopping) throw new Error('the daemon is stopping')
      // Dirent types come from lstat: a link is a link here, whatever it points at.
      if (entry.isSymbolicLink()) continue
      const relative = relativeDir === '' ? entry.name : `${relativeDir}/${entry.name}`
      const absolute = path.join(absoluteDir, entry.name)
      if (entry.isDirectory()) {
        if (entry.name === '.git' || this.neverIndex.includes(absolute) || ignoredBy(here, relative, true)) continue
        await this.walk(absolute, relative, here, visit)
      } else if (entry.isFile()) {
        if (ignoredBy(here, relative, false)) continue
        await visit(toPosix(relative), absolute)
      }
    }
  }
}

/** Read a file without following a link in its last component (a file swapped for a link after listing). */
async function readNoFollow(absolute: string): Promise<Buffer> {
  const handle = await open(absolute, fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0))
  try {
    return await handle.readFile()
  } finally {
    await handle.close()
  }
}

/** The real path of a directory the owner names as a source, or an explanation of why it cannot be one. */
export async function resolveSourceRoot(requested: string): Promise<string> {
  if (!path.isAbsolute(requested)) throw new Error('must be an absolute path')
  let real: string
  try {
    real = await realpath(requested)
  } catch {
    throw new Error(`${requested} does not exist`)
  }
  const info = await stat(real)
  if (!info.isDirectory()) throw new Error(`${requested} is not a directory`)
  if (real === path.parse(real).root) throw new Error('the filesystem root cannot be a source; choose a project folder')
  return real
}
