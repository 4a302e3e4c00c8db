import type {AgentConfig} from '../../config/agent-config.js'
import {ConfigError} from '../../errors.js'
import {DEFAULT_EMBEDDING_PROVIDER, EMBEDDING_PROVIDERS, type Embedder} from './embedder.js'
import {HttpEmbedder} from './http-embedders.js'
import {StaticVectorEmbedder} from './static-vectors.js'

/** agent.yaml `embedding` (provider as a plain string: callers may pass user input). */
export type EmbeddingSettings = Omit<AgentConfig['embedding'], 'provider'> & {provider: string}

/**
 * Build the embedder agent.yaml asks for (`embedding.provider|model|baseUrl`), or undefined
 * for `none`. Unknown providers are a configuration error naming the accepted ones.
 */
export function createEmbedder(settings: Partial<EmbeddingSettings> | undefined, env: NodeJS.ProcessEnv = process.env): Embedder | undefined {
  const provider = settings?.provider ?? DEFAULT_EMBEDDING_PROVIDER
  switch (provider) {
    case 'none':
      return undefined
    case 'local':
      return StaticVectorEmbedder.shared()
    case 'ollama':
      return new HttpEmbedder({
        provider: 'ollama',
        baseUrl: settings?.baseUrl ?? 'http://127.0.0.1:11434',
        model: settings?.model ?? 'nomic-embed-text',
      })
    case 'openai':
      return new HttpEmbedder({
        provider: 'openai',
        baseUrl: settings?.baseUrl ?? 'https://api.openai.com/v1',
        model: settings?.model ?? 'text-embedding-3-small',
        apiKey: env.SIGNET_EMBEDDING_API_KEY ?? env.OPENAI_API_KEY,
      })
    default:
      throw new ConfigError(`agent.yaml: embedding.provider = ${JSON.stringify(provider)} is not one of ${EMBEDDING_PROVIDERS.join(', ')}`)
  }
}
