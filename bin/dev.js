#!/usr/bin/env node
// Development entry: same as run.js but reports oclif's development warnings.
const path = require('node:path')

require('@oclif/core')
  .execute({development: true, dir: path.join(__dirname, '..')})
  .catch((error) => {
    process.stderr.write(`${error?.stack ?? error}\n`)
    process.exitCode = 1
  })
