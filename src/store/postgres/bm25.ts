import {BM25_B, BM25_K1, BM25_MIN_IDF, TAGS_WEIGHT} from '../bm25.js'
import {searchWords} from '../search-text.js'
import type {Params} from './client.js'
import {SEARCH_CONFIG} from './migrations.js'

/**
 * BM25 computed the way SQLite's FTS5 bm25() does (fts5_aux.c), so recall ranks the same on both
 * backends. PostgreSQL's own ts_rank/ts_rank_cd ignore how rare a word is (no IDF), which on LoCoMo
 * costs several points of recall; this computes
 *
 *   score = Σ over query forms q: idf(q) · f(q,D)·(k1+1) / (f(q,D) + k1·(1 − b + b·|D|/avgdl))
 *   idf(q) = max(ln((N − n(q) + 0.5) / (n(q) + 0.5)), 1e-6)
 *
 * f(q,D) counts q's occurrences weighted by column (content 1.0, tags 0.3, as FTS5's
 * bm25(memories_fts, 1.0, 0.3)); a phrase counts its occurrences as a phrase. |D| is the row's word
 * count; N and avgdl come from `stats`; n(q) is the number of rows holding q, counted over every
 * row before any filter, as FTS5 counts it.
 */

/**
 * ts_rank_cd with these weights ({D, C, B, A}) and normalisation 0 sums, over a form's occurrences
 * in a row, the weight of each: a word in the content (A) counts 1, in the tags (B) 0.3, and a phrase
 * counts each occurrence of the whole phrase. That is FTS5's weighted phrase frequency.
 */
const FREQUENCY_WEIGHTS = `'{0.1, 0.1, ${TAGS_WEIGHT}, 1.0}'::float4[]`

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

/** The BM25 sum over `hits` (seq, tokens, form, freq) with df per form, as SQL. */
function scoreSql(hits: string, stats: string, filterJoin: string, limit: string): string {
  return `df AS (SELECT form, count(*)::float8 AS n FROM ${hits} GROUP BY form),
    stats AS (${stats}),
    scored AS (
      SELECT h.seq, sum(
          greatest(ln((s.n - d.n + 0.5) / (d.n + 0.5)), ${BM25_MIN_IDF})
          * h.freq * ${BM25_K1 + 1} / (h.freq + ${BM25_K1} * (${1 - BM25_B} + ${BM25_B} * h.tokens / s.avgdl))
        ) AS relevance
      FROM ${hits} h JOIN df d ON d.form = h.form CROSS JOIN stats s
      GROUP BY h.seq
    )
    SELECT r.seq, r.relevance FROM scored r ${filterJoin}
    ORDER BY r.relevance DESC, r.seq
    LIMIT ${limit}`
}

export interface TsvectorBm25Options {
  /** Table with `seq`, `search_tsv` and `search_tokens`. */
  table: string
  /** Distinct forms, each already normalised (normaliseForm). */
  forms: string[][]
  /** One row: `n` (rows indexed) and `avgdl` (their average word count). */
  stats: string
  /** Condition on the table's row aliased `f`: only rows passing it are returned. */
  filter?: string
  limit: number
  params: Params
}

/**
 * BM25 over a tsvector column alone: every row matching some form is read once (GIN finds them) and
 * each form's frequency taken with ts_rank_cd. Right for tables with few, long rows (transcripts).
 */
export function tsvectorBm25Sql(options: TsvectorBm25Options): string | undefined {
  const {params, forms} = options
  if (forms.length === 0) return undefined
  const queries = forms.map((form) => params.add(formQuery(form)))
  const match = params.add(forms.map(formQuery).join(' | '))
  const frequencies = queries.map(
    (query, index) => `SELECT ${index} AS form, ts_rank_cd(${FREQUENCY_WEIGHTS}, m.search_tsv, to_tsquery('${SEARCH_CONFIG}', ${query}), 0) AS freq`,
  )
  const filterJoin = options.filter ? `JOIN ${options.table} f ON f.seq = r.seq AND ${options.filter}` : ''
  return `WITH matched AS MATERIALIZED (
      SELECT seq, search_tsv, search_tokens FROM ${options.table} WHERE search_tsv @@ to_tsquery('${SEARCH_CONFIG}', ${match})
    ),
    hits AS (
      SELECT m.seq, m.search_tokens AS tokens, q.form, q.freq
      FROM matched m CROSS JOIN LATERAL (${frequencies.join(' UNION ALL ')}) AS q
      WHERE q.freq > 0
    ),
    ${scoreSql('hits', options.stats, filterJoin, params.add(options.limit))}`
}

export interface PostingsBm25Options {
  /** Distinct forms: a word as its lexemes (the stemmer's output), or a phrase as normalised words. */
  forms: Array<{lexemes: string[]} | {phrase: string[]}>
  stats: string
  /** Only this agent's memories (the postings carry the agent, so this needs no row lookup). */
  agentId?: string
  /** Condition on the memory row aliased `f`, checked in rank order until `limit` rows pass. */
  filter?: string
  /** Indexes into `forms`: only rows holding one of these are ranked (every form still scores). */
  holding?: number[]
  limit: number
  params: Params
}

/**
 * BM25 over memories from the memory_terms postings: single words read only their own postings
 * (an index range per word, FTS5's doclist); phrases, which need positions, are matched on the
 * tsvector. Document frequencies always count every row, whatever the agent.
 */
export function postingsBm25Sql(options: PostingsBm25Options): string | undefined {
  const {params} = options
  const lexemes: string[] = []
  const lexemeForms: number[] = []
  const branches: string[] = []
  for (const [index, form] of options.forms.entries()) {
    if ('lexemes' in form) {
      for (const lexeme of form.lexemes) {
        lexemes.push(lexeme)
        lexemeForms.push(index)
      }
    } else {
      const query = params.add(formQuery(form.phrase))
      branches.push(`SELECT m.seq, m.agent_id, m.search_tokens AS tokens, ${index} AS form,
          ts_rank_cd(${FREQUENCY_WEIGHTS}, m.search_tsv, to_tsquery('${SEARCH_CONFIG}', ${query}), 0)::float8 AS freq
        FROM memories m WHERE m.search_tsv @@ to_tsquery('${SEARCH_CONFIG}', ${query})`)
    }
  }
  if (lexemes.length > 0) {
    branches.unshift(`SELECT t.seq, t.agent_id, t.tokens, w.form, t.freq::float8 AS freq
      FROM unnest(${params.add(lexemes)}::text[], ${params.add(lexemeForms)}::int[]) AS w(lexeme, form)
      JOIN memory_terms t ON t.lexeme = w.lexeme`)
  }
  if (branches.length === 0) return undefined
  const ctes = [`everywhere AS MATERIALIZED (${branches.join(' UNION ALL ')})`]
  let hits = 'everywhere'
  if (options.agentId !== undefined) {
    // Document frequencies count every agent's rows (df below reads everywhere); only the sum is the agent's.
    ctes.push(`mine AS (SELECT * FROM everywhere WHERE agent_id = ${params.add(options.agentId)})`)
    hits = 'mine'
  }
  const limit = params.add(options.limit)
  // Unfiltered, the best rows are a top-N sort; filtered, they are checked in rank order, a row lookup
  // each, until enough passed. The check is a LATERAL subquery with a LIMIT, which the planner can
  // neither flatten nor turn into a semi-join: the ranked rows stay the outer side of a nested loop,
  // read in rank order, so the LIMIT keeps the best passing rows. A plain EXISTS could be joined
  // with the memories as the outer side (as it was on a store not yet analysed), and the LIMIT then
  // kept whichever passing rows came first in the memories' index. The row is found by its seq alone
  // (OFFSET 0 keeps the filter out of the lookup), so an unanalysed store cannot walk another index
  // per ranked row instead (bench/README.md, "LoCoMo category 3 on both backends").
  const pick = options.filter
    ? `ordered AS MATERIALIZED (SELECT seq, relevance FROM scored ORDER BY relevance DESC, seq)
    SELECT r.seq, r.relevance FROM ordered r
      CROSS JOIN LATERAL (SELECT 1 FROM (SELECT * FROM memories m WHERE m.seq = r.seq OFFSET 0) f WHERE ${options.filter} LIMIT 1) AS passes
    LIMIT ${limit}`
    : `picked AS (SELECT seq, relevance FROM scored ORDER BY relevance DESC, seq LIMIT ${limit})
    SELECT seq, relevance FROM picked`
  return `WITH ${ctes.join(',\n    ')},
    stats AS (${options.stats}),
    idf AS (
      SELECT e.form, greatest(ln((s.n - count(*) + 0.5) / (count(*) + 0.5)), ${BM25_MIN_IDF}) AS idf
      FROM everywhere e CROSS JOIN stats s GROUP BY e.form, s.n
    ),
    scored AS (
      SELECT h.seq, sum(d.idf * h.freq * ${BM25_K1 + 1} / (h.freq + ${BM25_K1} * (${1 - BM25_B} + ${BM25_B} * h.tokens / s.avgdl))) AS relevance
      FROM ${hits} h JOIN idf d ON d.form = h.form CROSS JOIN stats s
      GROUP BY h.seq${
        options.holding
          ? `
      HAVING bool_or(h.form = ANY(${params.add(options.holding)}::int[]))`
          : ''
      }
    ),
    ${pick}`
}
