import {defineConfig} from 'vitest/config'

/**
 * `npm run test:harnesses`: installs the real harness CLIs from npm into `.harness-cache/` (pinned
 * to the newest releases by `npm run harnesses:update`) and drives each one headless against a
 * local model stand-in: a stored memory must reach the model request, session end must store the
 * transcript, memories must survive compaction where a headless route exists, and uninstall must
 * give back every config byte. Opt-in: the first run installs ~2.3 GB into the cache; with it warm the
 * whole suite takes about a minute on 2 cores (plus the build), one harness at a time.
 */
export default defineConfig({
  test: {
    include: ['test/harnesses/**/*.test.ts'],
    // every CLI is installed before a test daemon exists (see the file)
    globalSetup: ['test/harnesses/install-clis.global.ts'],
    testTimeout: 240_000,
    hookTimeout: 900_000,
    pool: 'forks',
    fileParallelism: false,
  },
})
