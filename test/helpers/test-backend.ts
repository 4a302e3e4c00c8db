import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {parseDocument} from 'yaml'

import {loadAgentConfig} from '../../src/config/agent-config.js'
import {workspacePaths} from '../../src/config/paths.js'
import {initWorkspace} from '../../src/config/workspace.js'
import {openStorage} from '../../src/store/open-storage.js'
import type {Storage} from '../../src/store/storage.js'

/**
 * Which storage backend the daemons a test starts use. `npm test` runs on SQLite (the default);
 * `npm run test:postgres` (vitest.postgres.config.ts) sets SIGNET_TEST_BACKEND=postgres and runs the
 * behavioural suites again, each daemon on its own fresh database of the run's PostgreSQL cluster.
 */
export type TestBackend = 'sqlite' | 'postgres'

export const testBackend: TestBackend = process.env.SIGNET_TEST_BACKEND === 'postgres' ? 'postgres' : 'sqlite'

/** True on the PostgreSQL run: for `it.skipIf(onPostgres)` on a test that is about the SQLite file itself (say why in its name). */
export const onPostgres = testBackend === 'postgres'

export interface BackendStorage {
  backend: TestBackend
  /** The database URL (postgres only; the test cluster needs no password). */
  url?: string
  /** Remove what was made for this workspace (the PostgreSQL database); nothing for SQLite, whose file goes with the temp dir. */
  drop(): Promise<void>
}

/**
 * Make `workspace` (created when missing) keep its data on `backend`: for postgres, a fresh database
 * on the run's cluster (ICU en-US collation where the server has ICU), named in agent.yaml's `storage` section the way a user would write it
 * (every other key of the file kept). Used by startTestDaemon and by tests that start the daemon
 * through the built CLI.
 */
export async function useBackend(workspace: string, backend: TestBackend = testBackend): Promise<BackendStorage> {
  if (backend === 'sqlite') return {backend, drop: async () => {}}
  // Loaded only here: the SQLite run never touches the cluster helpers.
  const {createTestDatabase, postgresCluster, postgresSkipReason} = await import('./postgres.js')
  if (!postgresCluster) throw new Error(`SIGNET_TEST_BACKEND=postgres but this run has no PostgreSQL cluster ${postgresSkipReason}`)
  initWorkspace(workspace)
  // A linguistic collation, as on most production servers: nothing may depend on the C locale's byte order.
  const database = await createTestDatabase('signet_daemon', {linguisticCollation: true})
  const file = path.join(workspace, 'agent.yaml')
  const doc = parseDocument(readFileSync(file, 'utf8'))
  doc.setIn(['storage', 'backend'], 'postgres')
  doc.setIn(['storage', 'url'], database.url)
  writeFileSync(file, doc.toString())
  return {backend, url: database.url, drop: () => database.drop()}
}

/**
 * The storage a workspace's agent.yaml names, opened beside its running daemon (a second opener,
 * as a second daemon would be) for `work`, then closed: how a test that drove the daemon through the
 * CLI looks at what it stored, on either backend.
 */
export async function withWorkspaceStorage<T>(workspace: string, work: (storage: Storage) => Promise<T>): Promise<T> {
  const storage = await openStorage(loadAgentConfig(workspace), workspacePaths(workspace), {indexInBackground: false})
  try {
    return await work(storage)
  } finally {
    await storage.close()
  }
}
