import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/harnesses/**', 'test/soak/**', 'test/pack/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One throwaway PostgreSQL cluster for the run (PostgreSQL backend tests; skipped without a server).
    globalSetup: ['test/helpers/postgres.global.ts'],
  },
})
