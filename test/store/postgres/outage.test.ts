import {afterAll, describe, expect, it} from 'vitest'

import {openPostgresStorage} from '../../../src/store/postgres/storage.js'
import {startTestDaemon} from '../../helpers/daemon.js'
import {type PostgresCluster, startPostgresCluster, startPostgresServer, stopPostgresCluster, stopPostgresServer} from '../../helpers/postgres-cluster.js'
import {postgresCluster, postgresSkipReason} from '../../helpers/postgres.js'

/**
 * The server going away under a daemon: writes are refused with `unreachable` (the daemon answers
 * 503 instead of failing each request its own way) and accepted again once it is back. A cluster of
 * its own, since the run's shared one serves other test files.
 */
describe.skipIf(!postgresCluster)(`PostgreSQL outage ${postgresSkipReason}`, () => {
  let cluster: PostgresCluster | undefined
  afterAll(() => {
    if (cluster) stopPostgresCluster(cluster)
  })

  it('says unreachable while the server is down, without the password, and recovers when it is back', async () => {
    cluster = await startPostgresCluster(postgresCluster!.bin)
    const url = `${cluster.baseUrl.replace('postgres://signet@', 'postgres://signet:s3cret-pass@')}/postgres`
    const storage = await openPostgresStorage({url})
    await storage.memories.remember({agentId: 'a', content: 'before the outage'})
    expect(storage.writeProblem()).toBeUndefined()

    stopPostgresServer(cluster)
    await expect(storage.memories.remember({agentId: 'a', content: 'during the outage'})).rejects.toThrow()
    const problem = storage.writeProblem()
    expect(problem?.code).toBe('unreachable')
    expect(problem?.message).toContain('postgres://signet:***@127.0.0.1')
    expect(problem?.message).not.toContain('s3cret-pass')
    const health = await storage.health()
    expect(health).toMatchObject({ok: false, problems: expect.arrayContaining(['unreachable'])})
    expect(JSON.stringify(health)).not.toContain('s3cret-pass')

    startPostgresServer(cluster)
    // The probe behind writeProblem notices within a few seconds, without any request succeeding first.
    const deadline = Date.now() + 10_000
    while (storage.writeProblem() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200))
    expect(storage.writeProblem()).toBeUndefined()
    expect((await storage.memories.remember({agentId: 'a', content: 'after the outage'})).deduped).toBe(false)
    expect(await storage.memories.count({agentId: 'a'})).toBe(2)
    await storage.close()
    expect(storage.writeProblem()?.code).toBe('unreachable')
  })
  it('a daemon answers 503 storage_unreachable while the server is down, loses nothing, and recovers', async () => {
    // the previous test leaves its cluster running; alone, this test makes its own
    cluster ??= await startPostgresCluster(postgresCluster!.bin)
    const url = `${cluster.baseUrl.replace('postgres://signet@', 'postgres://signet:s3cret-pass@')}/postgres`
    const daemon = await startTestDaemon({backend: 'sqlite', agentYaml: `storage:\n  backend: postgres\n  url: ${url}\n`})
    try {
      const remember = (content: string) => daemon.request('POST', '/api/memory/remember', {body: {content}})
      expect((await remember('written before the outage')).status).toBe(201)

      stopPostgresServer(cluster)
      const refused = await remember('written during the outage')
      expect(refused.status).toBe(503)
      expect(refused.body).toMatchObject({code: 'storage_unreachable', error: expect.stringContaining('PostgreSQL')})
      expect(JSON.stringify(refused.body)).not.toContain('s3cret-pass')
      const recall = await daemon.request('POST', '/api/memory/recall', {body: {query: 'outage'}})
      expect(recall.status).toBe(503)
      // health says so too, and the daemon process is still there to say it
      const health = await daemon.request('GET', '/health')
      expect(JSON.stringify(health.body)).not.toContain('s3cret-pass')

      startPostgresServer(cluster)
      const deadline = Date.now() + 15_000
      let again = await remember('written after the outage')
      while (again.status !== 201 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250))
        again = await remember('written after the outage')
      }
      expect(again.status).toBe(201)
      const found = await daemon.request('POST', '/api/memory/recall', {body: {query: 'written outage', limit: 10}})
      const contents = (found.body.results as Array<{content: string}>).map((result) => result.content).sort()
      expect(contents).toEqual(['written after the outage', 'written before the outage'])
    } finally {
      await daemon.stop()
    }
  })
})
