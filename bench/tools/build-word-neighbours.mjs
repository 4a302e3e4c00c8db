#!/usr/bin/env node
// Rebuild assets/static-vectors/glove-30k-neighbours.bin from glove-30k-100d.bin beside it: each
// word's nearest words by cosine, which the recall ranker reads for hedged questions about someone
// (src/store/embed/word-neighbours.ts; bench/README.md, "LoCoMo category 3"). Not run by the build:
// the output is committed. A scan of 30k × 30k × 100 int8 values, a few minutes.
//
//   node bench/tools/build-word-neighbours.mjs
//
// File layout (little endian): "SGN1" | u32 header bytes | header JSON {count, perWord,
// minSimilarity, source} | words joined by "\n" (u32 byte length first) | count × perWord ×
// (u16 row, u16 similarity × 65535), nearest first; row 65535 ends a shorter list.
import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const PER_WORD = 10
const MIN_SIMILARITY = 0.6
const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../assets/static-vectors')
const bytes = readFileSync(path.join(dir, 'glove-30k-100d.bin'))
if (bytes.toString('latin1', 0, 4) !== 'SGV1') throw new Error('glove-30k-100d.bin: bad magic')
let offset = 4
const headerLength = bytes.readUInt32LE(offset)
offset += 4
const {dims, count} = JSON.parse(bytes.toString('utf8', offset, offset + headerLength))
offset += headerLength
const wordsLength = bytes.readUInt32LE(offset)
offset += 4
const wordBytes = bytes.subarray(offset, offset + wordsLength)
offset += wordsLength
if (count >= 0xffff) throw new Error('more words than a u16 row can name')
// Unit rows of the int8 values: a row's scale cancels out of a cosine.
const unit = new Float32Array(count * dims)
for (let row = 0; row < count; row++) {
  let sum = 0
  for (let k = 0; k < dims; k++) sum += bytes.readInt8(offset + row * (4 + dims) + 4 + k) ** 2
  const norm = Math.sqrt(sum) || 1
  for (let k = 0; k < dims; k++) unit[row * dims + k] = bytes.readInt8(offset + row * (4 + dims) + 4 + k) / norm
}
const out = Buffer.alloc(count * PER_WORD * 4, 0xff)
const similarities = new Float32Array(count)
for (let row = 0; row < count; row++) {
  const at = row * dims
  for (let other = 0; other < count; other++) {
    const start = other * dims
    let dot = 0
    for (let k = 0; k < dims; k++) dot += unit[at + k] * unit[start + k]
    similarities[other] = dot
  }
  similarities[row] = -1
  const best = []
  for (let other = 0; other < count; other++) if (similarities[other] >= MIN_SIMILARITY) best.push(other)
  best.sort((a, b) => similarities[b] - similarities[a] || a - b)
  for (const [index, other] of best.slice(0, PER_WORD).entries()) {
    out.writeUInt16LE(other, (row * PER_WORD + index) * 4)
    out.writeUInt16LE(Math.round(similarities[other] * 65535), (row * PER_WORD + index) * 4 + 2)
  }
  if (row % 5000 === 0) console.error(`${row} / ${count}`)
}
const header = Buffer.from(JSON.stringify({count, perWord: PER_WORD, minSimilarity: MIN_SIMILARITY, source: 'glove-30k-100d.bin (cosine of its int8 rows)'}))
const u32 = (n) => {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(n)
  return b
}
const file = Buffer.concat([Buffer.from('SGN1'), u32(header.length), header, u32(wordBytes.length), wordBytes, out])
writeFileSync(path.join(dir, 'glove-30k-neighbours.bin'), file)
console.log(`wrote glove-30k-neighbours.bin: ${count} words × ${PER_WORD}, ${(file.length / 1e6).toFixed(2)} MB`)
