import {defineConfig} from 'vitest/config'

/** `npm run soak`: long load runs, opt-in (not part of `npm test`). SOAK_MINUTES sets the length (default 10). */
const minutes = Number(process.env.SOAK_MINUTES ?? 10)

export default defineConfig({
  test: {
    include: ['test/soak/**/*.test.ts'],
    testTimeout: Math.ceil((minutes + 5) * 60_000),
    hookTimeout: 120_000,
    pool: 'forks',
    // One soak at a time: they measure the machine.
    fileParallelism: false,
  },
})
