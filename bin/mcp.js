#!/usr/bin/env node
// `signet-mcp`: the MCP stdio server, identical to `signet mcp`.
const {runMcpStdioServer} = await import('../dist/mcp/stdio.js')
await runMcpStdioServer()
