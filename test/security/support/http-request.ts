import http from 'node:http'

export interface HttpResponse {
  status: number
  headers: http.IncomingHttpHeaders
  text: string
  /** Parsed JSON body, or undefined when the body is not JSON. */
  json: any
}

export interface HttpRequestOptions {
  method?: string
  path: string
  headers?: Record<string, string>
  body?: string | Buffer
  timeoutMs?: number
}

/**
 * One HTTP request with node:http rather than fetch: it may set any header (Host included),
 * any method and any body, and a hang becomes a clear failure instead of a stuck test.
 */
export function httpRequest(baseUrl: string, options: HttpRequestOptions): Promise<HttpResponse> {
  const url = new URL(baseUrl)
  const timeoutMs = options.timeoutMs ?? 10_000
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: options.headers,
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          let json: unknown
          try {
            json = text ? JSON.parse(text) : undefined
          } catch {
            json = undefined
          }
          resolve({status: response.statusCode ?? 0, headers: response.headers, text, json})
        })
        response.on('error', reject)
      },
    )
    request.setTimeout(timeoutMs, () => request.destroy(new Error(`${options.method ?? 'GET'} ${options.path} did not answer within ${timeoutMs} ms`)))
    request.on('error', reject)
    request.end(options.body)
  })
}
