#!/usr/bin/env node
// `signet hook …` runs before every model call: route it straight to the hook runner
// without loading oclif or the command tree (BENCHMARKS.md B1). Everything else goes to oclif.
const argv = process.argv.slice(2)
if (argv[0] === 'hook' && argv[1] && !argv[1].startsWith('-') && !argv.includes('--help') && !argv.includes('-h')) {
  const {runHookCli} = await import('../dist/hooks/cli.js')
  await runHookCli(argv.slice(1))
} else {
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url})
}
