import {createServer} from 'node:net'

export type PortProbe = {free: true} | {free: false; signet: {version: string} | null; detail: string}

/** Would the daemon be able to listen here? If not, is it another Signet daemon holding the port? */
export async function probeListenPort(host: string, port: number): Promise<PortProbe> {
  const bindError = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
    const server = createServer()
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error))
    server.listen({host, port, exclusive: true}, () => server.close(() => resolve(null)))
  })
  if (!bindError) return {free: true}
  if (bindError.code !== 'EADDRINUSE') return {free: false, signet: null, detail: `${bindError.code ?? 'error'}: ${bindError.message}`}
  const dialHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host
  try {
    const response = await fetch(`http://${dialHost.includes(':') ? `[${dialHost}]` : dialHost}:${port}/health`, {signal: AbortSignal.timeout(1500)})
    const body = (await response.json()) as {status?: string; version?: string}
    if (body.status === 'ok' && typeof body.version === 'string')
      return {free: false, signet: {version: body.version}, detail: 'a Signet daemon answers /health there'}
  } catch {
    // not HTTP, or not Signet
  }
  return {free: false, signet: null, detail: 'in use by another program'}
}
