import {defineConfig} from 'vitest/config'

// `npm run test:pack`: packs the repository and installs the tarball with npx (slow, needs the npm registry).
export default defineConfig({
  test: {
    include: ['test/pack/**/*.test.ts'],
    testTimeout: 320_000,
    hookTimeout: 240_000,
    pool: 'forks',
  },
})
