import {afterAll, describe, expect, it} from 'vitest'

import {openPostgresStorage} from '../../../src/store/postgres/storage.js'
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
})
