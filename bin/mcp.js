#!/usr/bin/env node
// `signet-mcp`: the MCP stdio server, identical to `signet mcp`. CommonJS like run.js (bin/package.json).
import('../dist/mcp/stdio.js')
  .then(({harnessFromArgv, runMcpStdioServer}) => runMcpStdioServer({harness: harnessFromArgv(process.argv.slice(2))}))
  .catch((error) => {
    process.stderr.write(`${error?.stack ?? error}\n`)
    process.exitCode = 1
  })
