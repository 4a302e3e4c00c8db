import type {TestProject} from 'vitest/node'

import {findPostgresBin, type PostgresCluster, startPostgresCluster, stopPostgresCluster} from './postgres-cluster.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's throwaway PostgreSQL cluster, or why there is none. */
    postgres: {cluster: PostgresCluster} | {unavailable: string}
  }
}

/**
 * One PostgreSQL cluster per vitest run, shared by every test file (each makes its own database):
 * starting one takes about a second, once. Without server binaries the PostgreSQL tests skip
 * and say why; `.ci/run` installs Debian's postgresql package so CI always has them.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  // SIGNET_TEST_POSTGRES_BIN names the server binaries' directory; set empty, it runs as if there were none.
  const override = process.env.SIGNET_TEST_POSTGRES_BIN
  const bin = override === undefined ? findPostgresBin() : override || undefined
  if (!bin) {
    project.provide('postgres', {
      unavailable: "no PostgreSQL server binaries (initdb, pg_ctl, postgres) in /usr/lib/postgresql/*/bin or on PATH — install Debian's postgresql package",
    })
    return () => {}
  }
  const cluster = await startPostgresCluster(bin)
  project.provide('postgres', {cluster})
  return () => stopPostgresCluster(cluster)
}
