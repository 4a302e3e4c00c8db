import http from 'node:http'
import type {AddressInfo} from 'node:net'

export type ProxyStyle = 'x-forwarded-for' | 'x-real-ip' | 'forwarded' | 'passthrough'

export interface ReverseProxy {
  port: number
  close(): Promise<void>
}

/**
 * A same-host reverse proxy the way nginx/caddy are usually set up: it passes the request on
 * and says who the client was in one forwarding header (appending to X-Forwarded-For, overwriting
 * X-Real-IP, appending a Forwarded element). `passthrough` adds nothing and passes the client's
 * own headers on untouched, like a TCP-level proxy or a misconfigured one.
 */
export async function startReverseProxy(target: string, options: {style: ProxyStyle; listenHost?: string}): Promise<ReverseProxy> {
  const upstream = new URL(target)
  const server = http.createServer((request, response) => {
    const client = (request.socket.remoteAddress ?? '').replace(/^::ffff:/, '')
    const headers = {...request.headers}
    if (options.style === 'x-forwarded-for') {
      headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${client}` : client
    } else if (options.style === 'x-real-ip') {
      headers['x-real-ip'] = client
    } else if (options.style === 'forwarded') {
      const element = `for=${client.includes(':') ? `"[${client}]"` : client};proto=http`
      headers.forwarded = headers.forwarded ? `${headers.forwarded}, ${element}` : element
    }
    const forward = http.request({host: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers, agent: false}, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(response)
    })
    forward.on('error', () => {
      response.writeHead(502)
      response.end()
    })
    request.pipe(forward)
  })
  await new Promise<void>((resolve) => server.listen(0, options.listenHost ?? '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
