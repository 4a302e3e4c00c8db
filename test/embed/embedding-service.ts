import {createServer, type IncomingMessage, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'

/**
 * A real HTTP embedding service on loopback speaking the Ollama (`POST /api/embed`) and
 * OpenAI (`POST /embeddings`) protocols. Vectors are bag-of-letters counts, so texts sharing
 * letters are similar; `delayMs` makes it slow, `failWith` makes it answer an HTTP error.
 */
export interface EmbeddingService {
  url: string
  requests: Array<{path: string; body: any; authorization?: string}>
  /** Requests whose client hung up before the answer (an aborted embed). */
  abandoned: number
  delayMs: number
  failWith?: number
  close(): Promise<void>
}

export function letterVector(text: string): number[] {
  const vector = new Array(26).fill(0)
  for (const char of text.toLowerCase()) {
    const code = char.charCodeAt(0) - 97
    if (code >= 0 && code < 26) vector[code]++
  }
  vector[0] += 0.001 // never all zeros
  return vector
}

export async function startEmbeddingService(): Promise<EmbeddingService> {
  const service: EmbeddingService = {url: '', requests: [], abandoned: 0, delayMs: 0, close: async () => {}}
  const readBody = (request: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let text = ''
      request.on('data', (chunk) => (text += chunk))
      request.on('end', () => resolve(text))
    })
  const server: Server = createServer(async (request, response) => {
    const body = JSON.parse((await readBody(request)) || '{}')
    service.requests.push({path: request.url ?? '', body, authorization: request.headers.authorization})
    let finished = false
    response.on('close', () => {
      if (!finished) service.abandoned++
    })
    if (service.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, service.delayMs))
    if (response.destroyed) return
    finished = true
    if (service.failWith) {
      response.writeHead(service.failWith, {'content-type': 'application/json'}).end('{"error":"boom"}')
      return
    }
    const inputs: string[] = Array.isArray(body.input) ? body.input : [body.input]
    const vectors = inputs.map(letterVector)
    const payload =
      request.url === '/api/embed'
        ? {model: body.model, embeddings: vectors}
        : {object: 'list', data: vectors.map((embedding, index) => ({object: 'embedding', index, embedding})).reverse()}
    response.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify(payload))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  service.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  service.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
  return service
}
