import {createHash} from 'node:crypto'

/** Normalise for duplicate detection: case, whitespace and trailing punctuation do not make a new memory. */
export function normalizeForDedup(content: string): string {
  return content
    .normalize('NFKC')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/(?<![.,!?;:])[.,!?;:]+$/u, '')
}

export function contentHash(content: string): string {
  return createHash('sha256').update(normalizeForDedup(content)).digest('hex')
}
