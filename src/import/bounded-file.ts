import {readFileSync, statSync} from 'node:fs'

import {SignetError} from '../errors.js'

/** Reads a text file only if it is no larger than the limit, so one huge file cannot exhaust memory. */
export function readBoundedText(file: string, maxBytes: number): string {
  let size: number
  try {
    const stats = statSync(file)
    if (!stats.isFile()) throw new SignetError(`${file} is not a file`)
    size = stats.size
  } catch (error) {
    if (error instanceof SignetError) throw error
    throw new SignetError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
  if (size > maxBytes) {
    throw new SignetError(`${file} is ${megabytes(size)}, over the ${megabytes(maxBytes)} an import reads — split it into smaller files`)
  }
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    throw new SignetError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}
