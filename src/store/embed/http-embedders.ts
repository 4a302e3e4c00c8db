import ky, {HTTPError, TimeoutError} from 'ky'

import {type Embedder, EmbeddingError, normalize} from './embedder.js'

export interface HttpEmbedderOptions {
  provider: 'ollama' | 'openai'
  baseUrl: string
  model: string
  /** OpenAI-compatible services only; read from the environment, never from agent.yaml. */
  apiKey?: string
  /** Per-request ceiling for background work (the prompt path uses its own, shorter budget). */
  timeoutMs?: number
}

/**
 * Embeddings from an HTTP service: Ollama (`POST /api/embed`) or any OpenAI-compatible
 * endpoint (`POST /embeddings`, configurable base URL and model).
 */
export class HttpEmbedder implements Embedder {
  readonly provider: 'ollama' | 'openai'
  readonly model: string
  dimensions: number | undefined
  private readonly baseUrl: string

  constructor(private readonly options: HttpEmbedderOptions) {
    this.provider = options.provider
    this.model = options.model
    this.baseUrl = options.baseUrl.replace(/\/+$/, '')
  }

  async embed(texts: string[], options: {signal?: AbortSignal} = {}): Promise<Float32Array[]> {
    if (texts.length === 0) return []
    const isOllama = this.provider === 'ollama'
    const url = isOllama ? `${this.baseUrl}/api/embed` : `${this.baseUrl}/embeddings`
    const headers: Record<string, string> = {}
    if (!isOllama && this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`
    let body: unknown
    try {
      body = await ky
        .post(url, {
          json: {model: this.model, input: texts},
          headers,
          signal: options.signal,
          timeout: this.options.timeoutMs ?? 30_000,
          retry: 0,
        })
        .json()
    } catch (error) {
      throw describeFailure(error, url, options.signal)
    }
    const vectors = isOllama ? readOllama(body) : readOpenAi(body)
    if (vectors.length !== texts.length) {
      throw new EmbeddingError(`${url} returned ${vectors.length} embeddings for ${texts.length} inputs`, 'bad_response')
    }
    const dims = vectors[0].length
    if (dims === 0 || vectors.some((vector) => vector.length !== dims)) {
      throw new EmbeddingError(`${url} returned embeddings of inconsistent length`, 'bad_response')
    }
    if (this.dimensions !== undefined && this.dimensions !== dims) {
      throw new EmbeddingError(`${url} changed dimensions from ${this.dimensions} to ${dims}; set embedding.model explicitly`, 'bad_response')
    }
    this.dimensions = dims
    return vectors.map((vector) => normalize(Float32Array.from(vector)))
  }
}

function readOllama(body: unknown): number[][] {
  const embeddings = (body as {embeddings?: unknown})?.embeddings
  if (!Array.isArray(embeddings) || !embeddings.every(isNumberArray)) {
    throw new EmbeddingError('ollama answered without an "embeddings" array of number arrays', 'bad_response')
  }
  return embeddings
}

function readOpenAi(body: unknown): number[][] {
  const data = (body as {data?: unknown})?.data
  if (!Array.isArray(data)) throw new EmbeddingError('embedding service answered without a "data" array', 'bad_response')
  const rows = data as Array<{embedding?: unknown; index?: unknown}>
  const sorted = [...rows].sort((a, b) => Number(a.index ?? 0) - Number(b.index ?? 0))
  return sorted.map((row) => {
    if (!isNumberArray(row.embedding)) throw new EmbeddingError('embedding service answered an item without an "embedding" number array', 'bad_response')
    return row.embedding
  })
}

function isNumberArray(value: unknown): value is number[] {
  return Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'number' && Number.isFinite(item))
}

function describeFailure(error: unknown, url: string, signal: AbortSignal | undefined): EmbeddingError {
  if (signal?.aborted) return new EmbeddingError(`embedding request to ${url} was cancelled`, 'aborted')
  if (error instanceof TimeoutError) return new EmbeddingError(`embedding request to ${url} timed out`, 'timeout')
  if (error instanceof HTTPError) {
    return new EmbeddingError(`embedding service ${url} answered HTTP ${error.response.status}`, 'http_error')
  }
  if (error instanceof EmbeddingError) return error
  return new EmbeddingError(`embedding service ${url} is unreachable: ${(error as Error).message}`, 'unreachable')
}
