import {searchWords} from '../search-text.js'
import type {Params} from './client.js'
import {SEARCH_CONFIG} from './migrations.js'

/**
 * BM25 on a tsvector column, computed the way SQLite's FTS5 bm25() does (fts5_aux.c), so recall
 * ranks the same on both backends. PostgreSQL's own ts_rank/ts_rank_cd ignore how rare a word is
 * (no IDF), which on LoCoMo costs several points of recall; this reads each matching row's term
 * frequencies from its tsvector instead:
 *
 *   score = Σ over query forms q: idf(q) · f(q,D)·(k1+1) / (f(q,D) + k1·(1 − b + b·|D|/avgdl))
 *   idf(q) = max(ln((N − n(q) + 0.5) / (n(q) + 0.5)), 1e-6)
 *
 * f(q,D) counts q's occurrences weighted by column (content positions carry weight A = 1.0, tags
 * weight B = 0.3, as FTS5's bm25(memories_fts, 1.0, 0.3)); |D| is the row's word count; N and avgdl
 * come from `stats`; n(q) is the number of rows holding q, counted over the rows that match the
 * query at all (every row holding q is one of them), before any filter, as FTS5 counts it.
 * A phrase form counts once per row that holds it.
 */
export const BM25_K1 = 1.2
export const BM25_B = 0.75
/** FTS5 clamps a non-positive IDF (a word in more than half the rows) to this. */
export const BM25_MIN_IDF = 1e-6

/** Words longer than this are no word anyone types (and tsquery refuses very long ones). */
const MAX_WORD_CHARS = 256

/** A form normalised as the index holds words: undefined when nothing searchable is left. */
export function normaliseForm(words: string[]): string[] | undefined {
  const normalised = searchWords(words.join(' '))
  if (normalised.length === 0 || normalised.some((word) => word.length > MAX_WORD_CHARS)) return undefined
  return normalised
}

/** tsquery text for a form: a word, or its words in sequence (`<->`). Words are letters and digits only. */
export function formQuery(words: string[]): string {
  return words.length === 1 ? words[0] : `(${words.join(' <-> ')})`
}

export interface Bm25Options {
  /** Table with `seq`, `search_tsv` and `search_tokens`. */
  table: string
  /** Distinct forms, each already normalised (normaliseForm). */
  forms: string[][]
  /** One row: `n` (rows indexed) and `avgdl` (their average word count). */
  stats: string
  /** Condition on the table's row aliased `f` (joined only when given): rankedWithin's filters. */
  filter?: string
  limit: number
  params: Params
}

/** `SELECT seq, relevance … ORDER BY relevance DESC LIMIT n` for forms OR-ed together; undefined when no form is searchable. */
export function bm25Sql(options: Bm25Options): string | undefined {
  const {params, forms} = options
  if (forms.length === 0) return undefined
  const singles = forms.map((words, index) => ({words, index})).filter((form) => form.words.length === 1)
  const phrases = forms.map((words, index) => ({words, index})).filter((form) => form.words.length > 1)
  const match = params.add(forms.map(formQuery).join(' | '))
  const branches: string[] = []
  if (singles.length > 0) {
    const words = params.add(singles.map((form) => form.words[0]))
    const indexes = params.add(singles.map((form) => form.index))
    branches.push(`SELECT m.seq, m.search_tokens, q.form, sum(CASE WHEN w = 'B' THEN 0.3 ELSE 1.0 END) AS freq
      FROM matched m
      CROSS JOIN LATERAL unnest(m.search_tsv) AS u
      CROSS JOIN LATERAL unnest(u.weights) AS w
      JOIN (SELECT f.form, l.lexeme FROM unnest(${words}::text[], ${indexes}::int[]) AS f(word, form)
            CROSS JOIN LATERAL unnest(to_tsvector('${SEARCH_CONFIG}', f.word)) AS l) AS q ON q.lexeme = u.lexeme
      GROUP BY m.seq, m.search_tokens, q.form`)
  }
  for (const phrase of phrases) {
    branches.push(`SELECT m.seq, m.search_tokens, ${Number(phrase.index)} AS form, 1.0 AS freq FROM matched m
      WHERE m.search_tsv @@ to_tsquery('${SEARCH_CONFIG}', ${params.add(formQuery(phrase.words))})`)
  }
  const filterJoin = options.filter ? `JOIN ${options.table} f ON f.seq = h.seq AND ${options.filter}` : ''
  return `WITH matched AS MATERIALIZED (
      SELECT seq, search_tsv, search_tokens FROM ${options.table} WHERE search_tsv @@ to_tsquery('${SEARCH_CONFIG}', ${match})
    ),
    hits AS (${branches.join(' UNION ALL ')}),
    df AS (SELECT form, count(*)::float8 AS n FROM hits GROUP BY form),
    stats AS (${options.stats})
    SELECT h.seq, sum(
        greatest(ln((s.n - d.n + 0.5) / (d.n + 0.5)), ${BM25_MIN_IDF})
        * h.freq * ${BM25_K1 + 1} / (h.freq + ${BM25_K1} * (${1 - BM25_B} + ${BM25_B} * h.search_tokens / s.avgdl))
      ) AS relevance
    FROM hits h JOIN df d ON d.form = h.form CROSS JOIN stats s ${filterJoin}
    GROUP BY h.seq
    ORDER BY relevance DESC, h.seq
    LIMIT ${params.add(options.limit)}`
}

/** BM25's saturation of one form's frequency in a row of `tokens` words. */
export function bm25Term(idf: number, freq: number, tokens: number, avgdl: number): number {
  if (freq <= 0) return 0
  return (idf * freq * (BM25_K1 + 1)) / (freq + BM25_K1 * (1 - BM25_B + (BM25_B * tokens) / avgdl))
}

export function bm25Idf(rows: number, holding: number): number {
  return Math.max(Math.log((rows - holding + 0.5) / (holding + 0.5)), BM25_MIN_IDF)
}
