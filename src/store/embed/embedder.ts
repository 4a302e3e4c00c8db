export const EMBEDDING_PROVIDERS = ['none', 'local', 'ollama', 'openai'] as const
export type EmbeddingProviderName = (typeof EMBEDDING_PROVIDERS)[number]

/**
 * The provider when agent.yaml names none. Keyword-only: on LoCoMo the lexical pipeline
 * (stop words, proximity, conversation context) reaches recall@10 0.714 alone; the offline
 * `local` vectors add +0.007 for an O(n) nearest-neighbour scan per recall (bench/README.md).
 */
export const DEFAULT_EMBEDDING_PROVIDER: EmbeddingProviderName = 'none'

/** How long the prompt path waits for a query embedding before answering lexically. */
export const DEFAULT_PROMPT_TIMEOUT_MS = 300

/**
 * Turns text into unit-length vectors. Every provider sits behind this one interface;
 * callers never know whether the vectors came from a file in the package or an HTTP service.
 */
export interface Embedder {
  readonly provider: EmbeddingProviderName
  readonly model: string
  /** Known up front for in-process models; learned from the first answer for HTTP services. */
  dimensions: number | undefined
  /**
   * Present only for in-process embedders that do no I/O: those can serve the synchronous
   * recall path without a budget.
   */
  embedSync?(texts: string[]): Float32Array[]
  embed(texts: string[], options?: {signal?: AbortSignal}): Promise<Float32Array[]>
}

export class EmbeddingError extends Error {
  constructor(
    message: string,
    readonly code: 'timeout' | 'unreachable' | 'bad_response' | 'http_error' | 'aborted',
  ) {
    super(message)
    this.name = 'EmbeddingError'
  }
}

/** Identifies a vector space: vectors from different models are never compared. */
export function embeddingSpaceKey(embedder: Pick<Embedder, 'provider' | 'model'>): string {
  return `${embedder.provider}:${embedder.model}`
}

export type BudgetedEmbedding = {status: 'ok'; vector: Float32Array; ms: number} | {status: 'timeout' | 'error'; ms: number; reason: string}

/**
 * Embed one query, giving up after `budgetMs`: the in-flight request is aborted and the
 * caller answers without vectors. Never throws.
 */
export async function embedWithinBudget(embedder: Embedder, text: string, budgetMs: number): Promise<BudgetedEmbedding> {
  const started = performance.now()
  const elapsed = () => Math.round((performance.now() - started) * 10) / 10
  if (embedder.embedSync) {
    try {
      return {status: 'ok', vector: embedder.embedSync([text])[0], ms: elapsed()}
    } catch (error) {
      return {status: 'error', ms: elapsed(), reason: (error as Error).message}
    }
  }
  const controller = new AbortController()
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<BudgetedEmbedding>((resolve) => {
    timer = setTimeout(() => {
      controller.abort()
      resolve({status: 'timeout', ms: elapsed(), reason: `no embedding within ${budgetMs} ms`})
    }, budgetMs)
  })
  const work = embedder
    .embed([text], {signal: controller.signal})
    .then((vectors): BudgetedEmbedding => ({status: 'ok', vector: vectors[0], ms: elapsed()}))
    .catch((error: unknown): BudgetedEmbedding => ({status: 'error', ms: elapsed(), reason: (error as Error).message}))
  try {
    return await Promise.race([work, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Scale to unit length so cosine similarity is a dot product; zero vectors stay zero. */
export function normalize(vector: Float32Array): Float32Array {
  let sum = 0
  for (const value of vector) sum += value * value
  const norm = Math.sqrt(sum)
  if (norm > 0) for (let i = 0; i < vector.length; i++) vector[i] /= norm
  return vector
}
