import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {STATIC_VECTORS_FILE} from '../../src/store/embed/static-vectors.js'
import {WORD_NEIGHBOURS_FILE} from '../../src/store/embed/word-neighbours.js'
import {readWordTableFile} from '../../src/store/embed/word-table-file.js'

let dir: string | undefined

afterEach(() => {
  if (dir) rmSync(dir, {recursive: true, force: true})
  dir = undefined
})

describe('the shipped word tables', () => {
  it('read as header, words and rows: 30k words, one fixed-size row each', () => {
    const vectors = readWordTableFile<{count: number; dims: number}>(STATIC_VECTORS_FILE, 'SGV1')
    expect(vectors.words).toHaveLength(vectors.header.count)
    expect(vectors.rows.length).toBe(vectors.header.count * (4 + vectors.header.dims))
    const neighbours = readWordTableFile<{count: number; perWord: number}>(WORD_NEIGHBOURS_FILE, 'SGN1')
    expect(neighbours.words).toEqual(vectors.words.slice(0, neighbours.words.length))
    expect(neighbours.rows.length).toBe(neighbours.header.count * neighbours.header.perWord * 4)
  })

  it('refuse a file of another kind and one cut short in its word list', () => {
    expect(() => readWordTableFile(WORD_NEIGHBOURS_FILE, 'SGV1')).toThrow(/bad magic/)
    dir = mkdtempSync(path.join(tmpdir(), 'signet-word-table-'))
    const cut = path.join(dir, 'cut.bin')
    const bytes = readFileSync(WORD_NEIGHBOURS_FILE)
    const headerLength = bytes.readUInt32LE(4)
    const wordsLength = bytes.readUInt32LE(8 + headerLength)
    // The word list's length field says half of it: fewer words than the header counts.
    const copy = Buffer.from(bytes)
    copy.writeUInt32LE(Math.floor(wordsLength / 2), 8 + headerLength)
    writeFileSync(cut, copy)
    expect(() => readWordTableFile(cut, 'SGN1')).toThrow(/truncated or corrupt/)
  })
})
