import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {parseAgentConfig} from '../../src/config/agent-config.js'
import {ConfigError} from '../../src/errors.js'
import {embedWithinBudget, EmbeddingError} from '../../src/store/embed/embedder.js'
import {HttpEmbedder} from '../../src/store/embed/http-embedders.js'
import {createEmbedder} from '../../src/store/embed/providers.js'
import {StaticVectorEmbedder} from '../../src/store/embed/static-vectors.js'
import {type EmbeddingService, startEmbeddingService} from './embedding-service.js'

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((sum, value, i) => sum + value * b[i], 0)
const norm = (a: Float32Array) => Math.sqrt(cosine(a, a))

describe('createEmbedder', () => {
  it('maps agent.yaml embedding settings to providers', () => {
    expect(createEmbedder({provider: 'none'})).toBeUndefined()
    expect(createEmbedder(undefined)).toBeUndefined()
    expect(createEmbedder({provider: 'local'})).toMatchObject({provider: 'local', model: 'glove-30k-100d'})
    expect(createEmbedder({provider: 'ollama'})).toMatchObject({provider: 'ollama', model: 'nomic-embed-text'})
    expect(createEmbedder({provider: 'openai', model: 'text-embedding-3-large', baseUrl: 'http://127.0.0.1:9/v1'})).toMatchObject({
      provider: 'openai',
      model: 'text-embedding-3-large',
    })
  })

  it('agent.yaml with an unknown provider is refused with the key path and line', () => {
    expect(() => parseAgentConfig('version: 1\nembedding:\n  provider: nomic\n')).toThrow(/embedding\.provider = "nomic" \(line 3\)/)
    expect(parseAgentConfig('embedding:\n  provider: local\n').embedding.provider).toBe('local')
  })

  it('names the accepted providers when the configured one is unknown', () => {
    expect(() => createEmbedder({provider: 'nomic'})).toThrow(ConfigError)
    expect(() => createEmbedder({provider: 'nomic'})).toThrow(/embedding\.provider = "nomic" is not one of none, local, ollama, openai/)
  })
})

describe('local static vectors (no network, no download)', () => {
  const local = StaticVectorEmbedder.shared()

  it('gives unit vectors of 100 dimensions, synchronously', () => {
    const [a, b] = local.embedSync(['The puppy chased the ball', 'quarterly invoice'])
    expect(local.dimensions).toBe(100)
    expect(a).toHaveLength(100)
    expect(norm(a)).toBeCloseTo(1, 5)
    expect(norm(b)).toBeCloseTo(1, 5)
  })

  it('puts related texts closer than unrelated ones', () => {
    const [dog, pet, tax] = local.embedSync(['my dog loves the puppy park', 'we adopted a kitten and other pets', 'tax invoice payment overdue'])
    expect(cosine(dog, pet)).toBeGreaterThan(cosine(dog, tax) + 0.2)
  })

  it('gives a zero vector, not NaN, for text without known words', () => {
    const [empty] = local.embedSync(['zzqx !!! the of'])
    expect([...empty].every((value) => value === 0)).toBe(true)
  })
})

describe('HTTP embedders against a real loopback service', () => {
  let service: EmbeddingService
  beforeEach(async () => {
    service = await startEmbeddingService()
  })
  afterEach(async () => {
    await service.close()
  })

  it('ollama: POST /api/embed with model and inputs, unit vectors back, dimensions learned', async () => {
    const embedder = new HttpEmbedder({provider: 'ollama', baseUrl: `${service.url}/`, model: 'nomic-embed-text'})
    const vectors = await embedder.embed(['abc', 'xyz'])
    expect(service.requests[0]).toMatchObject({path: '/api/embed', body: {model: 'nomic-embed-text', input: ['abc', 'xyz']}})
    expect(embedder.dimensions).toBe(26)
    expect(norm(vectors[0])).toBeCloseTo(1, 5)
    expect(cosine(vectors[0], vectors[1])).toBeLessThan(0.1)
  })

  it('openai-compatible: bearer key from the environment, answers re-ordered by index', async () => {
    const embedder = createEmbedder({provider: 'openai', baseUrl: `${service.url}`, model: 'm'}, {SIGNET_EMBEDDING_API_KEY: 'sk-test'})!
    const [aaa, zzz] = await embedder.embed(['aaa', 'zzz'])
    expect(service.requests[0]).toMatchObject({path: '/embeddings', authorization: 'Bearer sk-test', body: {model: 'm', input: ['aaa', 'zzz']}})
    expect(aaa[0]).toBeGreaterThan(0.99)
    expect(zzz[25]).toBeGreaterThan(0.99)
  })

  it('reports HTTP errors and unreachable services as EmbeddingError', async () => {
    service.failWith = 500
    const embedder = new HttpEmbedder({provider: 'ollama', baseUrl: service.url, model: 'm'})
    await expect(embedder.embed(['x'])).rejects.toMatchObject({name: 'EmbeddingError', code: 'http_error'})
    const nowhere = new HttpEmbedder({provider: 'ollama', baseUrl: 'http://127.0.0.1:9', model: 'm'})
    await expect(nowhere.embed(['x'])).rejects.toBeInstanceOf(EmbeddingError)
  })

  it('embedWithinBudget gives up at the budget, aborts the request and never throws', async () => {
    service.delayMs = 3000
    const embedder = new HttpEmbedder({provider: 'ollama', baseUrl: service.url, model: 'm'})
    const started = performance.now()
    const outcome = await embedWithinBudget(embedder, 'hello', 100)
    expect(outcome.status).toBe('timeout')
    expect(performance.now() - started).toBeLessThan(1000)
    await expect.poll(() => service.abandoned, {timeout: 2000}).toBe(1)
    service.delayMs = 0
    const ok = await embedWithinBudget(embedder, 'hello', 2000)
    expect(ok.status).toBe('ok')
  })
})
