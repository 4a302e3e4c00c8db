import type {ProjectFilter} from '../memories.js'
import {searchWords} from '../search-text.js'
import type {Params} from './client.js'
import {SEARCH_CONFIG} from './migrations.js'

/** The columns of a MemoryRow (never the search vector, which can be large). */
export const MEMORY_COLUMNS =
  'seq, id, content, content_hash, type, tags, importance, pinned, agent_id, project, source, harness, key_id, machine_id, session_key, idempotency_key, created_at, updated_at, deleted_at'

/** The same columns qualified by `alias`. */
export function memoryColumns(alias: string): string {
  return MEMORY_COLUMNS.split(', ')
    .map((column) => `${alias}.${column}`)
    .join(', ')
}

/**
 * What the memories index holds for a row: the content's words (weight A) then the tags' (weight
 * B, FTS5's tags column, worth 0.3 of a content word), and how many words that is (BM25's
 * document length). Words are split here (search-text.ts), not by the server's locale.
 */
export function memorySearchValues(content: string, tags: string): {content: string; tags: string; tokens: number} {
  const contentWords = searchWords(content)
  const tagWords = searchWords(tags)
  return {
    content: contentWords.slice(0, MAX_INDEXED_WORDS).join(' '),
    tags: tagWords.slice(0, MAX_INDEXED_WORDS).join(' '),
    tokens: contentWords.length + tagWords.length,
  }
}

/**
 * Words of one field put in the tsvector. A tsvector holds at most 1 MB; a memory's content is at
 * most 100 000 characters through the API, but rows copied from elsewhere may be longer. Positions
 * stop at 16 383 anyway, so words past this only ever added matches, never proximity.
 */
const MAX_INDEXED_WORDS = 40_000

/** SQL for the search vector of the words bound at `content` and `tags` (placeholders). */
export function memorySearchVector(content: string, tags: string): string {
  return `setweight(to_tsvector('${SEARCH_CONFIG}', ${content}), 'A') || setweight(to_tsvector('${SEARCH_CONFIG}', ${tags}), 'B')`
}

/** The SQL condition for a ProjectFilter on `column` (undefined when it covers everything). */
export function projectConditionPg(filter: ProjectFilter, column: string, params: Params): string | undefined {
  const orGlobal = filter.includeGlobal ? ` OR ${column} IS NULL` : ''
  if (filter.project !== undefined) return `(${column} = ${params.add(filter.project)}${orGlobal})`
  if (filter.projects !== undefined) return `(${column} = ANY(${params.add([...filter.projects])}::text[])${orGlobal})`
  return undefined
}
