import {fileURLToPath} from 'node:url'

import {readWordTableFile} from './word-table-file.js'

/**
 * Each word's nearest words by cosine over the shipped GloVe vectors (assets/static-vectors/README.md),
 * computed once by bench/tools/build-word-neighbours.mjs and shipped, so a lookup is a read, not a
 * scan of the 30k-word table. Used by the recall ranker for hedged questions about someone
 * (bench/README.md, "LoCoMo category 3").
 */
export const WORD_NEIGHBOURS_FILE = fileURLToPath(new URL('../../../assets/static-vectors/glove-30k-neighbours.bin', import.meta.url))

/** A row ends its list early with this index. */
const NO_WORD = 0xffff

interface NeighbourTable {
  perWord: number
  words: string[]
  rows: Map<string, number>
  /** count × perWord × (u16 row, u16 similarity × 65535). */
  entries: Buffer
}

let table: NeighbourTable | undefined

function loadNeighbourTable(file: string): NeighbourTable {
  const {header, words, rows} = readWordTableFile<{count: number; perWord: number}>(file, 'SGN1')
  if (rows.length !== header.count * header.perWord * 4) throw new Error(`${file} is truncated or corrupt`)
  return {perWord: header.perWord, words, rows: new Map(words.map((word, row) => [word, row])), entries: rows}
}

/**
 * Up to `count` words nearest `word` (lowercase), each at least `minSimilarity`, nearest first;
 * none for a word the table lacks. The table is read on the first call (≈ 1.4 MB).
 */
export function wordNeighbours(word: string, count: number, minSimilarity: number): string[] {
  table ??= loadNeighbourTable(WORD_NEIGHBOURS_FILE)
  const row = table.rows.get(word)
  if (row === undefined) return []
  const found: string[] = []
  for (let index = 0; index < Math.min(count, table.perWord); index++) {
    const at = (row * table.perWord + index) * 4
    const other = table.entries.readUInt16LE(at)
    if (other === NO_WORD || table.entries.readUInt16LE(at + 2) / 65535 < minSimilarity) break
    found.push(table.words[other])
  }
  return found
}
