import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {type Embedder, normalize} from './embedder.js'
import {isStopWord} from '../query-terms.js'

/** Word vectors shipped inside the package (see assets/static-vectors/README.md). */
export const STATIC_VECTORS_FILE = fileURLToPath(new URL('../../../assets/static-vectors/glove-30k-100d.bin', import.meta.url))

/** SIF weighting constant (Arora et al. 2017): frequent words count for less. */
const SIF_A = 1e-3
/** Zipf estimate of word probability from frequency rank: p(rank) ≈ 1 / ((rank + 10) · ln(vocabulary of the source)). */
const ZIPF_NORMALIZER = Math.log(400_000)

interface VectorTable {
  dims: number
  rowBytes: number
  data: Buffer
  index: Map<string, number>
}

function loadVectorTable(file: string): VectorTable {
  const bytes = readFileSync(file)
  if (bytes.toString('latin1', 0, 4) !== 'SGV1') throw new Error(`${file} is not a static-vector file (bad magic)`)
  let offset = 4
  const headerLength = bytes.readUInt32LE(offset)
  offset += 4
  const header = JSON.parse(bytes.toString('utf8', offset, offset + headerLength)) as {dims: number; count: number}
  offset += headerLength
  const wordsLength = bytes.readUInt32LE(offset)
  offset += 4
  const words = bytes.toString('utf8', offset, offset + wordsLength).split('\n')
  offset += wordsLength
  const rowBytes = 4 + header.dims
  if (words.length !== header.count || bytes.length - offset !== header.count * rowBytes) {
    throw new Error(`${file} is truncated or corrupt`)
  }
  return {dims: header.dims, rowBytes, data: bytes.subarray(offset), index: new Map(words.map((word, row) => [word, row]))}
}

function rowNorms(table: VectorTable): Float32Array {
  const norms = new Float32Array(table.index.size)
  for (let row = 0; row < norms.length; row++) {
    let sum = 0
    for (let k = 0; k < table.dims; k++) sum += table.data.readInt8(row * table.rowBytes + 4 + k) ** 2
    norms[row] = Math.sqrt(sum) || 1
  }
  return norms
}

/**
 * The offline provider: SIF-weighted average of static word vectors (GloVe, 30k most
 * frequent English words, int8). No network, no download, ~4 MB of memory, well under a
 * millisecond per text, so it runs synchronously on the prompt path.
 */
export class StaticVectorEmbedder implements Embedder {
  readonly provider = 'local' as const
  readonly model = 'glove-30k-100d'
  dimensions: number | undefined

  private static instance: StaticVectorEmbedder | undefined
  private table: VectorTable | undefined

  constructor(private readonly file = STATIC_VECTORS_FILE) {}

  /** One table per process: every daemon route and the indexer share it. */
  static shared(): StaticVectorEmbedder {
    StaticVectorEmbedder.instance ??= new StaticVectorEmbedder()
    return StaticVectorEmbedder.instance
  }

  private load(): VectorTable {
    if (!this.table) {
      this.table = loadVectorTable(this.file)
      this.dimensions = this.table.dims
    }
    return this.table
  }

  embedSync(texts: string[]): Float32Array[] {
    const table = this.load()
    return texts.map((text) => {
      const vector = new Float32Array(table.dims)
      for (const match of text.toLowerCase().matchAll(/[\p{L}\p{N}]+(?:'\p{L}+)?/gu)) {
        const word = match[0]
        if (isStopWord(word)) continue
        const row = table.index.get(word)
        if (row === undefined) continue
        const probability = 1 / ((row + 10) * ZIPF_NORMALIZER)
        const weight = SIF_A / (SIF_A + probability)
        const base = row * table.rowBytes
        const scale = table.data.readFloatLE(base) * weight
        for (let k = 0; k < table.dims; k++) vector[k] += table.data.readInt8(base + 4 + k) * scale
      }
      return normalize(vector)
    })
  }

  /**
   * The `count` words nearest `word` by cosine, each at least `minSimilarity`, nearest first; none
   * for a word the table lacks. A scan of every row (30k × 100 int8, a few milliseconds): the recall
   * ranker asks only for hedged questions about a named speaker (../recall-ranker.ts).
   */
  neighbours(word: string, count: number, minSimilarity: number): string[] {
    const table = this.load()
    const row = table.index.get(word)
    if (row === undefined) return []
    const norms = (this.norms ??= rowNorms(table))
    const values = new Int8Array(table.data.buffer, table.data.byteOffset, table.data.length)
    const at = row * table.rowBytes + 4
    const found: Array<{row: number; similarity: number}> = []
    for (let other = 0; other < norms.length; other++) {
      if (other === row) continue
      const start = other * table.rowBytes + 4
      let dot = 0
      for (let k = 0; k < table.dims; k++) dot += values[start + k] * values[at + k]
      const similarity = dot / (norms[other] * norms[row])
      if (similarity >= minSimilarity) found.push({row: other, similarity})
    }
    found.sort((a, b) => b.similarity - a.similarity || a.row - b.row)
    const words = (this.words ??= [...table.index.keys()])
    return found.slice(0, count).map((hit) => words[hit.row])
  }

  /** Each row's length (its int8 values; the row's scale cancels out of a cosine), made on the first neighbours(). */
  private norms: Float32Array | undefined
  /** Words by row, made on the first neighbours(). */
  private words: string[] | undefined

  async embed(texts: string[]): Promise<Float32Array[]> {
    return this.embedSync(texts)
  }
}
