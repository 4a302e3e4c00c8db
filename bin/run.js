#!/usr/bin/env node
// Hot paths skip oclif (loading it and the command tree costs ~100 ms):
// - `signet hook …` runs before every model call (BENCHMARKS.md B1);
// - `signet mcp` is spawned by harnesses that wait on its handshake;
// - `signet --version` is typed by people (B5).
// Everything else, including `--help` for these, goes to oclif.
const argv = process.argv.slice(2)
const wantsHelp = argv.includes('--help') || argv.includes('-h')
if (argv[0] === 'hook' && argv[1] && !argv[1].startsWith('-') && !wantsHelp) {
  let hookCli
  try {
    hookCli = await import('../dist/hooks/cli.js')
  } catch (error) {
    // Even a broken or half-upgraded install must not break the harness (SPEC §7.2): one line, exit 0.
    process.stderr.write(`[signet] ${argv[1]}: hook unavailable (${String(error?.message ?? error).split('\n')[0]}) — reinstall signetai\n`)
    process.exit(0)
  }
  await hookCli.runHookCli(argv.slice(1))
} else if (argv.length === 1 && argv[0] === 'mcp') {
  const {runMcpStdioServer} = await import('../dist/mcp/stdio.js')
  await runMcpStdioServer()
} else if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  const {SIGNET_VERSION} = await import('../dist/version.js')
  process.stdout.write(`signetai/${SIGNET_VERSION} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url})
}
