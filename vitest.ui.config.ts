import {defineConfig} from 'vitest/config'

/** `npm run test:ui`: the dashboard in a real Chromium (Debian's /usr/bin/chromium, driven by playwright-core). */
export default defineConfig({
  test: {
    include: ['test/ui/**/*.browser.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
})
