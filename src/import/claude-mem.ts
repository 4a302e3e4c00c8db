import Database from 'better-sqlite3'

import {SignetError} from '../errors.js'
import {PeerReadBuilder, toImportMemory, type PeerRead} from './peer-memory.js'

/*
 * claude-mem keeps its memory in SQLite (`~/.claude-mem/claude-mem.db`): `observations` rows
 * (type, title, subtitle, narrative or text, facts and concepts as JSON arrays, project,
 * created_at / created_at_epoch) and `session_summaries` rows (request, investigated, learned,
 * completed, next_steps, notes). Older databases lack some columns, so only the columns present
 * are read. The file is opened read-only: claude-mem may be running and writing it.
 */

const OBSERVATION_COLUMNS = ['title', 'subtitle', 'narrative', 'text', 'facts', 'concepts', 'files_modified'] as const
const SUMMARY_SECTIONS = [
  ['request', 'Request'],
  ['investigated', 'Investigated'],
  ['learned', 'Learned'],
  ['completed', 'Completed'],
  ['next_steps', 'Next steps'],
  ['notes', 'Notes'],
] as const

type Row = Record<string, unknown>

export function readClaudeMem(file: string): PeerRead {
  let db: Database.Database
  try {
    db = new Database(file, {readonly: true, fileMustExist: true})
  } catch (error) {
    throw new SignetError(`cannot open ${file} as a claude-mem database: ${(error as Error).message}`)
  }
  try {
    const tables = tableColumns(db, file)
    const observations = tables.get('observations')
    if (!observations) {
      throw new SignetError(`${file} has no observations table — is it claude-mem's database (usually ~/.claude-mem/claude-mem.db)?`)
    }
    const result = new PeerReadBuilder()
    const wanted = ['id', 'project', 'type', 'created_at', 'created_at_epoch', ...OBSERVATION_COLUMNS].filter((column) => observations.has(column))
    for (const row of db.prepare(`SELECT ${wanted.join(', ')} FROM observations ORDER BY id`).iterate() as Iterable<Row>) {
      const where = `${file}: observations row ${String(row.id)}`
      result.add(
        toImportMemory(
          {
            content: observationText(row),
            type: text(row.type),
            tags: [...jsonList(row.concepts)],
            project: text(row.project),
            createdAt: rowDate(row),
            origin: 'claude-mem',
          },
          where,
        ),
      )
    }
    const summaries = tables.get('session_summaries')
    if (summaries) {
      const columns = ['id', 'project', 'created_at', 'created_at_epoch', ...SUMMARY_SECTIONS.map(([column]) => column)].filter((column) =>
        summaries.has(column),
      )
      for (const row of db.prepare(`SELECT ${columns.join(', ')} FROM session_summaries ORDER BY id`).iterate() as Iterable<Row>) {
        const sections = SUMMARY_SECTIONS.flatMap(([column, label]) => (text(row[column]) ? [`${label}: ${text(row[column])}`] : []))
        result.add(
          toImportMemory(
            {
              content: sections.length > 0 ? `Session summary. ${sections.join('\n')}` : '',
              type: 'summary',
              tags: ['session-summary'],
              project: text(row.project),
              createdAt: rowDate(row),
              origin: 'claude-mem',
            },
            `${file}: session_summaries row ${String(row.id)}`,
          ),
        )
      }
    }
    return result
  } finally {
    db.close()
  }
}

function tableColumns(db: Database.Database, file: string): Map<string, Set<string>> {
  let names: Array<{name: string}>
  try {
    names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{name: string}>
  } catch (error) {
    throw new SignetError(`${file} is not a SQLite database: ${(error as Error).message}`)
  }
  const tables = new Map<string, Set<string>>()
  for (const {name} of names) {
    if (name !== 'observations' && name !== 'session_summaries') continue
    const columns = db.prepare(`SELECT name FROM pragma_table_info(?)`).all(name) as Array<{name: string}>
    tables.set(name, new Set(columns.map((column) => column.name)))
  }
  return tables
}

/** Title, then the prose (narrative, or the older plain text), then the facts as a list. */
function observationText(row: Row): string {
  const parts: string[] = []
  const title = text(row.title)
  const subtitle = text(row.subtitle)
  if (title) parts.push(subtitle ? `${title} — ${subtitle}` : title)
  const prose = text(row.narrative) ?? text(row.text)
  if (prose && prose !== title) parts.push(prose)
  const facts = [...jsonList(row.facts)]
  if (facts.length > 0) parts.push(facts.map((fact) => `- ${fact}`).join('\n'))
  const files = [...jsonList(row.files_modified)]
  if (files.length > 0) parts.push(`Files: ${files.slice(0, 20).join(', ')}`)
  return parts.join('\n')
}

function text(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined
  const trimmed = value.trim()
  return trimmed === '' ? undefined : trimmed
}

/** claude-mem stores lists as JSON arrays in text columns; a bare string is one item. */
function* jsonList(value: unknown): Generator<string> {
  const raw = text(value)
  if (!raw) return
  if (raw.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(raw)
      if (Array.isArray(parsed)) {
        for (const item of parsed) if (typeof item === 'string' && item.trim()) yield item.trim()
        return
      }
    } catch {
      // Not JSON after all: keep it as one item rather than lose it.
    }
  }
  yield raw
}

/** ISO `created_at` when it parses; otherwise the epoch column (milliseconds in claude-mem, seconds in older rows). */
function rowDate(row: Row): string | undefined {
  const iso = text(row.created_at)
  if (iso && !Number.isNaN(Date.parse(iso))) return iso
  const epoch = typeof row.created_at_epoch === 'number' ? row.created_at_epoch : undefined
  if (epoch === undefined) return undefined
  return new Date(epoch > 1e11 ? epoch : epoch * 1000).toISOString()
}
