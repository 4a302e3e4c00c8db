import {fileURLToPath} from 'node:url'

import {type Embedder, normalize} from './embedder.js'
import {isStopWord} from '../query-terms.js'
import {readWordTableFile} from './word-table-file.js'

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
  const {header, words, rows} = readWordTableFile<{dims: number; count: number}>(file, 'SGV1')
  const rowBytes = 4 + header.dims
  if (rows.length !== header.count * rowBytes) throw new Error(`${file} is truncated or corrupt`)
  return {dims: header.dims, rowBytes, data: rows, index: new Map(words.map((word, row) => [word, row]))}
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

  async embed(texts: string[]): Promise<Float32Array[]> {
    return this.embedSync(texts)
  }
}
