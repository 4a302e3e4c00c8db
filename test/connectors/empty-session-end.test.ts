import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {startTestDaemon, type TestDaemon} from '../helpers/daemon.js'

/**
 * Harness commands that never talk to a model still fire SessionEnd (`claude mcp list` does):
 * a session-end with no transcript and no turn must not leave a session behind.
 */
let daemon: TestDaemon
beforeAll(async () => {
  daemon = await startTestDaemon()
})
afterAll(async () => {
  await daemon?.stop()
})

async function sessionKeys(): Promise<string[]> {
  const response = await daemon.request('GET', '/api/sessions')
  expect(response.status).toBe(200)
  return (response.body.sessions as Array<{sessionKey: string}>).map((session) => session.sessionKey)
}

describe('session-end with nothing said', () => {
  it('records no session, keyed or anonymous', async () => {
    const empty = await daemon.request('POST', '/api/hooks/session-end', {body: {harness: 'claude-code', sessionKey: 'mcp-list-1', reason: 'other'}})
    expect(empty.status).toBe(200)
    const anonymous = await daemon.request('POST', '/api/hooks/session-end', {body: {harness: 'claude-code', transcript: '   '}})
    expect(anonymous.status).toBe(200)
    expect(await sessionKeys()).toEqual([])
  })

  it('still records a session that has a transcript', async () => {
    const response = await daemon.request('POST', '/api/hooks/session-end', {
      body: {harness: 'claude-code', sessionKey: 'real-1', transcript: 'User: hello\n\nAssistant: hi'},
    })
    expect(response.status).toBe(200)
    expect(await sessionKeys()).toContain('real-1')
  })
})
