#!/usr/bin/env node
// Pins every harness CLI that `npm run test:harnesses` installs to the newest release on npm:
// rewrites the `version: '…'` of each entry of HARNESS_PACKAGES in test/harnesses/harness-clis.ts
// (only those bytes change) and prints old → new. `--check` exits 1 when a pin is behind.
import {execFileSync} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

const file = fileURLToPath(new URL('../test/harnesses/harness-clis.ts', import.meta.url))
const check = process.argv.includes('--check')
let source = readFileSync(file, 'utf8')
// one entry per harness: `key: {name: '<npm package>', version: '<x.y.z>', bin: …}` (the Node
// runtime entry has no `bin` and stays on its major)
const entry = /(\{name: '([^']+)', version: ')([^']+)(', bin: )/g
const pins = [...source.matchAll(entry)].map((match) => ({name: match[2], version: match[3]}))
if (pins.length === 0) throw new Error(`no {name, version} entries found in ${file}`)

let behind = 0
for (const pin of pins) {
  const newest = execFileSync('npm', ['view', pin.name, 'version'], {encoding: 'utf8'}).trim()
  if (!/^\d+\.\d+\.\d+/.test(newest)) throw new Error(`npm view ${pin.name} version answered ${JSON.stringify(newest)}`)
  console.log(`${pin.name}: ${pin.version}${newest === pin.version ? ' (newest)' : ` → ${newest}`}`)
  if (newest !== pin.version) behind++
  pin.newest = newest
}
if (check) process.exit(behind > 0 ? 1 : 0)
source = source.replace(entry, (_all, head, name, _version, tail) => `${head}${pins.find((pin) => pin.name === name).newest}${tail}`)
writeFileSync(file, source)
