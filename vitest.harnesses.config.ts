import {defineConfig} from 'vitest/config'

/**
 * `npm run test:harnesses`: installs the real harness CLIs from npm into `.harness-cache/` and asks
 * each one whether it accepts what `signet connect` wrote. Opt-in: large downloads, slow runs.
 */
export default defineConfig({
  test: {
    include: ['test/harnesses/**/*.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 900_000,
    pool: 'forks',
    fileParallelism: false,
  },
})
