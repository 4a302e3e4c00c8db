#!/usr/bin/env node
// Development entry: same as run.js but reports oclif's development warnings.
const {execute} = await import('@oclif/core')
await execute({development: true, dir: import.meta.url})
