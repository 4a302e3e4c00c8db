import {request as httpRequest} from 'node:http'
import {Readable} from 'node:stream'

import {afterAll, afterEach, beforeAll, describe, expect, it, vi} from 'vitest'

import {startTestDaemon, type TestDaemon} from '../helpers/daemon.js'

/*
 * JSON bodies sent with Content-Length are read straight from Node's request: turning it into a web
 * stream and a web Request (what `c.req.text()` does on @hono/node-server) was a fifth of the
 * daemon's CPU per remember (bench B3). Chunked bodies still go through hono and its streamed size limit.
 */

let daemon: TestDaemon

beforeAll(async () => {
  daemon = await startTestDaemon()
})

afterAll(async () => {
  await daemon.stop()
  daemon.temp.cleanup()
})

afterEach(() => vi.restoreAllMocks())

/** POST raw bytes over loopback as the owner, with Content-Length or (chunked) without. */
function post(path: string, body: string, {chunked = false} = {}): Promise<{status: number; body: any}> {
  const url = new URL(path, daemon.url)
  return new Promise((resolve, reject) => {
    // TCP needs a credential: the owner's admin token.
    const headers: Record<string, string | number> = {'content-type': 'application/json', authorization: `Bearer ${daemon.adminToken()}`}
    if (!chunked) headers['content-length'] = Buffer.byteLength(body)
    const req = httpRequest(url, {method: 'POST', headers}, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk) => (text += chunk))
      res.on('end', () => resolve({status: res.statusCode ?? 0, body: JSON.parse(text)}))
    })
    req.on('error', reject)
    if (chunked) {
      // Two writes: the body arrives in two chunks.
      req.write(body.slice(0, 10))
      req.end(body.slice(10))
    } else {
      req.end(body)
    }
  })
}

describe('request bodies', () => {
  it('a Content-Length body is read without building a web stream, and stored exactly', async () => {
    const toWeb = vi.spyOn(Readable, 'toWeb')
    const content = 'Deploys go out on Tuesdays — après the standup, 日本語 too'
    const stored = await post('/api/memory/remember', JSON.stringify({content}))
    expect(stored.status).toBe(201)
    expect(stored.body.memory.content).toBe(content)
    expect(toWeb).not.toHaveBeenCalled()
  })

  it('a chunked body still works (through hono), and bad JSON names the problem either way', async () => {
    const stored = await post('/api/memory/remember', JSON.stringify({content: 'chunked bodies are fine'}), {chunked: true})
    expect(stored.status).toBe(201)
    expect(stored.body.memory.content).toBe('chunked bodies are fine')
    for (const chunked of [false, true]) {
      const bad = await post('/api/memory/remember', '{"content": ', {chunked})
      expect(bad.status).toBe(400)
      expect(bad.body.code).toBe('invalid_json')
    }
  })
})
