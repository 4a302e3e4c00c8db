#!/usr/bin/env node
// Builds the dashboard (src/dashboard, Preact) into dist/dashboard: index.html, app.js, app.css.
// The daemon serves exactly these files (no CDN, nothing fetched at run time). Fails the build when
// the shipped files grow past the budget below, gzipped.
import {createHash} from 'node:crypto'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {gzipSync} from 'node:zlib'

import {build} from 'esbuild'

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')
const source = path.join(root, 'src/dashboard')
const out = path.join(root, 'dist/dashboard')
const BUDGET_GZIP_BYTES = 150 * 1024

mkdirSync(out, {recursive: true})
await build({
  entryPoints: {app: path.join(source, 'main.tsx')},
  outdir: out,
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2022'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  tsconfig: path.join(source, 'tsconfig.json'),
  legalComments: 'none',
  logLevel: 'warning',
})
await build({entryPoints: [path.join(source, 'app.css')], outfile: path.join(out, 'app.css'), bundle: true, minify: true, logLevel: 'warning'})

const js = readFileSync(path.join(out, 'app.js'))
const css = readFileSync(path.join(out, 'app.css'))
const short = (buffer) => createHash('sha256').update(buffer).digest('hex').slice(0, 12)
const html = readFileSync(path.join(source, 'index.html'), 'utf8').replace('__HASH_JS__', short(js)).replace('__HASH_CSS__', short(css))
writeFileSync(path.join(out, 'index.html'), html)

const gzipped = [js, css, Buffer.from(html)].reduce((sum, buffer) => sum + gzipSync(buffer, {level: 9}).length, 0)
const summary = {jsBytes: js.length, cssBytes: css.length, htmlBytes: html.length, gzipBytes: gzipped}
writeFileSync(path.join(out, 'size.json'), `${JSON.stringify(summary, null, 2)}\n`)
console.log(`dashboard: app.js ${js.length} B, app.css ${css.length} B, ${gzipped} B gzipped in all (budget ${BUDGET_GZIP_BYTES})`)
if (gzipped > BUDGET_GZIP_BYTES) {
  console.error(`dashboard bundle is ${gzipped} B gzipped, over the ${BUDGET_GZIP_BYTES} B budget`)
  process.exit(1)
}
