/**
 * BM25 as SQLite's FTS5 bm25() computes it (fts5_aux.c), for the parts of recall computed outside
 * an index: PostgreSQL's ranking (./postgres/bm25.ts) and the proximity signal (./proximity.ts).
 *
 *   score = Σ over query forms q: idf(q) · f(q,D)·(k1+1) / (f(q,D) + k1·(1 − b + b·|D|/avgdl))
 *   idf(q) = max(ln((N − n(q) + 0.5) / (n(q) + 0.5)), 1e-6)
 */
export const BM25_K1 = 1.2
export const BM25_B = 0.75
/** FTS5 clamps a non-positive IDF (a word in more than half the rows) to this. */
export const BM25_MIN_IDF = 1e-6
/** Weight of a tags word next to a content word (FTS5's bm25(memories_fts, 1.0, 0.3)). */
export const TAGS_WEIGHT = 0.3

/** BM25's saturation of one form's frequency in a row of `tokens` words. */
export function bm25Term(idf: number, freq: number, tokens: number, avgdl: number): number {
  if (freq <= 0) return 0
  return (idf * freq * (BM25_K1 + 1)) / (freq + BM25_K1 * (1 - BM25_B + (BM25_B * tokens) / avgdl))
}

/** IDF of a form held by `holding` of `rows` rows. */
export function bm25Idf(rows: number, holding: number): number {
  return Math.max(Math.log((rows - holding + 0.5) / (holding + 0.5)), BM25_MIN_IDF)
}
