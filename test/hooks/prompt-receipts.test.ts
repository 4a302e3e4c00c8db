import {readFileSync} from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {startTestDaemon, type TestDaemon} from '../helpers/daemon.js'

/*
 * Per-turn receipts: every user-prompt-submit hook leaves a stored receipt (which memories were
 * injected, with score and why, and which agent messages), readable through the session it belongs
 * to and only by whoever may read that session.
 */

let daemon: TestDaemon
let admin: Record<string, string>
let otherProject: Record<string, string>

beforeAll(async () => {
  daemon = await startTestDaemon({agentYaml: 'auth:\n  mode: team\n'})
  admin = {authorization: `Bearer ${readFileSync(path.join(daemon.workspace, '.daemon', 'admin.token'), 'utf8').trim()}`}
  await daemon.context.storage.memories.remember({
    content: 'Deploys go through the blue-green pipeline on Fridays',
    agentId: 'default',
    project: 'github.com/acme/api',
    importance: 0.9,
  })
  const scoped = await daemon.request('POST', '/api/auth/api-keys', {
    body: {name: 'mobile only', role: 'agent', scope: {project: 'github.com/acme/mobile'}},
    headers: admin,
  })
  expect(scoped.status).toBe(201)
  otherProject = {authorization: `Bearer ${scoped.body.apiKey.key}`}
})

afterAll(async () => {
  await daemon.stop()
})

describe('prompt receipts', () => {
  it('stores one receipt per prompt, readable by the owner and not by a key of another project', async () => {
    const common = {harness: 'claude-code', sessionKey: 'receipt-1', project: 'github.com/acme/api'}
    const hook = await daemon.request('POST', '/api/hooks/user-prompt-submit', {
      body: {...common, prompt: 'How do deploys go through the pipeline?'},
      headers: admin,
    })
    expect(hook.status).toBe(200)
    expect(hook.body.receipt.ids).toHaveLength(1)
    await daemon.request('POST', '/api/hooks/user-prompt-submit', {body: {...common, prompt: 'ok'}, headers: admin})

    const read = await daemon.request('GET', '/api/sessions/receipt-1/receipts', {headers: admin})
    expect(read.status).toBe(200)
    expect(read.body.receipts).toHaveLength(2)
    const [first, second] = read.body.receipts
    expect(first.memories).toEqual([{id: hook.body.receipt.ids[0], score: hook.body.receipt.scores[0], why: hook.body.receipt.why[0]}])
    expect(first.memories[0].why).toMatchObject({matchedTerms: expect.any(Number)})
    expect(first).toMatchObject({messageIds: [], elapsedMs: expect.any(Number), at: expect.any(String)})
    expect(second.memories).toEqual([])

    const refused = await daemon.request('GET', '/api/sessions/receipt-1/receipts', {headers: otherProject})
    expect(refused.status).toBe(404)
    expect(JSON.stringify(refused.body)).not.toContain('blue-green')
  })
})
