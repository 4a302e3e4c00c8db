#!/usr/bin/env node
// `signet-mcp`: the MCP stdio server, identical to `signet mcp`. CommonJS like run.js (bin/package.json).
import('../dist/mcp/stdio.js')
  .then(({runMcpStdioServer}) => runMcpStdioServer())
  .catch((error) => {
    process.stderr.write(`${error?.stack ?? error}\n`)
    process.exitCode = 1
  })
