import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {signetSessionSearch} from '../../src/connectors/harness-bridge.js'
import {startTestDaemon, type TestDaemon} from '../helpers/daemon.js'

let daemon: TestDaemon
const savedEnv = {...process.env}

beforeAll(async () => {
  daemon = await startTestDaemon()
  // No SIGNET_DAEMON_URL: the bridge reaches HOME's workspace daemon through its socket.
  delete process.env.SIGNET_DAEMON_URL
  delete process.env.SIGNET_WORKSPACE
  process.env.HOME = daemon.temp.home
  delete process.env.SIGNET_API_KEY
  const transcript = 'user: the flaky checkout test fails because the payment mock times out\nassistant: raised the mock timeout to 5s'
  const {status} = await daemon.request('POST', '/api/hooks/session-end', {body: {harness: 'pi', sessionKey: 'pi-session-1', transcript}})
  expect(status).toBe(200)
})

afterAll(async () => {
  process.env = savedEnv
  await daemon.stop()
})

describe('Pi/OpenClaw extension tools', () => {
  it('signet_session_search lists the matching session with an excerpt', async () => {
    const text = await signetSessionSearch('pi', {query: 'payment mock timeout'})
    expect(text).toMatch(/^- pi-session-1/)
    expect(text).toContain('mock')
  })

  it('says so when nothing matches', async () => {
    expect(await signetSessionSearch('pi', {query: 'kubernetes helm chart'})).toBe('No matching sessions found.')
  })
})
