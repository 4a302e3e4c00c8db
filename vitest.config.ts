import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // backend-parity compares SQLite with PostgreSQL answers: it belongs to `npm run test:postgres`.
    exclude: ['test/harnesses/**', 'test/soak/**', 'test/pack/**', 'test/daemon/backend-parity.test.ts', 'test/multi-daemon/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One throwaway PostgreSQL cluster for the run (PostgreSQL backend tests; skipped without a server).
    globalSetup: ['test/helpers/postgres.global.ts'],
    // Every answer a test daemon (and a DaemonClient in a test) sends is checked against the API
    // contract (src/api): a drift fails the test that provoked it, not only test/daemon/api-contract.
    env: {SIGNET_CHECK_ANSWERS: '1'},
  },
})
