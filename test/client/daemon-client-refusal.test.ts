import {createServer, type Server} from 'node:net'

import {afterEach, describe, expect, it} from 'vitest'

import {DaemonClient, DaemonRequestError, DaemonUnreachableError} from '../../src/client/daemon-client.js'

/**
 * The daemon refuses a large request as soon as it has read the head (a replaced database, a
 * revoked key) and closes the connection while the CLI is still writing the body (an import batch
 * of up to 900 KB). The CLI must say what the daemon said, not that no daemon is running.
 */
let server: Server | undefined

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
  server = undefined
})

/** A daemon stand-in that answers `head` (maybe nothing) to the first bytes of a request, then resets the connection. */
async function refusingServer(head: string | undefined): Promise<string> {
  server = createServer((socket) => {
    socket.on('error', () => undefined)
    socket.once('data', () => {
      if (head) socket.write(head)
      setTimeout(() => socket.resetAndDestroy(), 20)
    })
  })
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server!.address() as {port: number}).port}`
}

const largeBody = {memories: Array.from({length: 3000}, (_, index) => ({content: `memory ${index} ${'x'.repeat(300)}`}))}

async function postLarge(url: string): Promise<unknown> {
  return new DaemonClient({url, apiKey: 'sig_sk_test'}).post('/api/memory/import', largeBody).then(
    () => undefined,
    (failure: unknown) => failure,
  )
}

describe('a refusal cut short by a reset', () => {
  it('is reported as the refusal, with its code when the body arrived', async () => {
    const body = '{"error":"the database file was replaced","code":"database_replaced"}'
    const error = await postLarge(await refusingServer(`HTTP/1.1 503 Service Unavailable\r\nContent-Length: ${body.length}\r\n\r\n${body}`))
    expect(error).toBeInstanceOf(DaemonRequestError)
    expect(error).toMatchObject({status: 503, daemonCode: 'database_replaced'})
  })

  it('is reported as the refusal when only part of its body arrived', async () => {
    const error = await postLarge(await refusingServer('HTTP/1.1 401 Unauthorized\r\nContent-Length: 500\r\n\r\n{"error":"key rev'))
    expect(error).toBeInstanceOf(DaemonRequestError)
    expect(error).toMatchObject({status: 401, daemonCode: 'http_401'})
  })

  it('is an outage when nothing was answered', async () => {
    const error = await postLarge(await refusingServer(undefined))
    expect(error).toBeInstanceOf(DaemonUnreachableError)
  })
})
