import {spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {afterEach, describe, expect, it} from 'vitest'

import {RUN_JS} from '../helpers/cli.js'

/*
 * `signet status` and `signet connector list` ask every connector for its status, and most
 * harnesses are not on a given machine. The config-format parsers (≈ 7 ms of module set-up, B5 in
 * bench/README.md) load only for a file there is to parse. Checked in a fresh node process on the
 * built modules: the parser packages are CommonJS, so every one loaded is in require.cache.
 */

const DIST = path.join(path.dirname(RUN_JS), '..', 'dist')
const PARSERS = /node_modules[\\/](jsonc-parser|json5|@croct[\\/]json5-parser|toml-eslint-parser|yaml)[\\/]/

function parsersLoadedByStatus(home: string): string[] {
  const script = `
    import {createRequire} from 'node:module'
    const {allConnectors} = await import(${JSON.stringify(pathToFileURL(path.join(DIST, 'connectors/registry.js')).href)})
    const {defaultConnectorContext} = await import(${JSON.stringify(pathToFileURL(path.join(DIST, 'connectors/connector.js')).href)})
    const ctx = defaultConnectorContext({env: {HOME: ${JSON.stringify(home)}, PATH: ''}, probeVersion: async () => undefined})
    for (const connector of allConnectors()) await connector.status(ctx)
    const loaded = Object.keys(createRequire(import.meta.url).cache).map((file) => ${PARSERS}.exec(file)?.[1]).filter(Boolean)
    process.stdout.write(JSON.stringify([...new Set(loaded)].sort()))
  `
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {encoding: 'utf8', env: {PATH: process.env.PATH, HOME: home}})
  expect(result.stderr).toBe('')
  return JSON.parse(result.stdout) as string[]
}

let home: string | undefined
afterEach(() => {
  if (home) rmSync(home, {recursive: true, force: true})
  home = undefined
})

describe('config parsers', () => {
  it('are not loaded to find that no harness is installed', () => {
    home = mkdtempSync(path.join(tmpdir(), 'signet-parsers-'))
    expect(parsersLoadedByStatus(home)).toEqual([])
  })

  it('are loaded for the harness files that exist, and only their formats', () => {
    home = mkdtempSync(path.join(tmpdir(), 'signet-parsers-'))
    for (const [file, text] of [
      ['.claude/settings.json', '{"theme": "dark"}\n'],
      ['.codex/config.toml', 'model = "o3"\n'],
      ['.hermes/config.yaml', 'model: x\n'],
    ]) {
      mkdirSync(path.dirname(path.join(home, file)), {recursive: true})
      writeFileSync(path.join(home, file), text)
    }
    expect(parsersLoadedByStatus(home)).toEqual(['jsonc-parser', 'toml-eslint-parser', 'yaml'])
  })
})
