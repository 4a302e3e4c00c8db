import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {startTestDaemon, type TestDaemon} from '../helpers/daemon.js'

// The reported case end to end: a handful of project facts typed one after another, then the
// prompt a user types. The receipt must inject the right fact and say why.
describe('recall receipts through the daemon', () => {
  let daemon: TestDaemon

  beforeEach(async () => {
    daemon = await startTestDaemon()
    for (const content of [
      'Use pnpm, never npm, in this repository.',
      'array item one',
      'Prod DB is on port 5432.',
      'The staging DB listens on port 5433.',
      'No deploys on Friday afternoons.',
    ]) {
      const {status} = await daemon.request('POST', '/api/memory/remember', {body: {content}})
      expect(status).toBe(201)
    }
  })

  afterEach(async () => {
    await daemon.stop()
  })

  it('injects the staging DB fact for "staging database" and says which words matched', async () => {
    const {status, body} = await daemon.request('POST', '/api/hooks/user-prompt-submit', {
      body: {harness: 'claude-code', prompt: 'what port is the staging database on'},
    })
    expect(status).toBe(200)
    expect(body.inject).toContain('The staging DB listens on port 5433.')
    expect(body.receipt.ids).toHaveLength(body.receipt.why.length)
    expect(body.receipt.why[0].matched).toEqual(['port', 'staging', 'database→db'])
    expect(body.receipt.why[0].signals).toMatchObject({bm25: expect.any(Number), proximity: expect.any(Number), context: 0})
    expect(body.receipt.scores).toHaveLength(body.receipt.ids.length)
  })

  it('recall answers only the memory that holds the word, each with its why', async () => {
    const {body} = await daemon.request('POST', '/api/memory/recall', {body: {query: 'pnpm'}})
    expect(body.results.map((hit: {content: string}) => hit.content)).toEqual(['Use pnpm, never npm, in this repository.'])
    expect(body.results[0].why).toMatchObject({matched: ['pnpm'], matchedTerms: 1})
  })
})
