import {defineConfig} from 'vitest/config'

/**
 * `npm run test:multi-daemon`: three real daemon processes on one PostgreSQL database (the team
 * scale-out). Opt-in like the soak: each file starts its own daemons and loads the machine for
 * a while, so files run one at a time.
 */
export default defineConfig({
  test: {
    include: ['test/multi-daemon/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
    // The run's throwaway PostgreSQL cluster (skipped, with the reason, without server binaries).
    globalSetup: ['test/helpers/postgres.global.ts'],
    env: {SIGNET_CHECK_ANSWERS: '1'},
  },
})
