import {readFileSync} from 'node:fs'

/**
 * The layout of the word tables shipped in assets/static-vectors/ (README there): a 4-byte magic,
 * a u32 length and a JSON header, a u32 length and the words joined by newlines, then one
 * fixed-size row per word. Returns the parts; the caller checks the rows' size.
 */
export function readWordTableFile<Header extends {count: number}>(file: string, magic: string): {header: Header; words: string[]; rows: Buffer} {
  const bytes = readFileSync(file)
  if (bytes.toString('latin1', 0, 4) !== magic) throw new Error(`${file} is not a ${magic} word table (bad magic)`)
  let offset = 4
  const headerLength = bytes.readUInt32LE(offset)
  offset += 4
  const header = JSON.parse(bytes.toString('utf8', offset, offset + headerLength)) as Header
  offset += headerLength
  const wordsLength = bytes.readUInt32LE(offset)
  offset += 4
  const words = bytes.toString('utf8', offset, offset + wordsLength).split('\n')
  offset += wordsLength
  if (words.length !== header.count) throw new Error(`${file} is truncated or corrupt`)
  return {header, words, rows: bytes.subarray(offset)}
}
