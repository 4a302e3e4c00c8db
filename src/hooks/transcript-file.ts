import {closeSync, constants, fstatSync, openSync, readSync} from 'node:fs'

import {capTranscript, formatTranscript} from './transcript-format.js'

/** Read at most this much of a transcript file (its end: that is where the session finished). */
const MAX_READ_BYTES = 16 * 1024 * 1024
/** What is sent: comfortably below the daemon's 1 MiB body limit after JSON escaping. */
export const MAX_TRANSCRIPT_CHARS = 600_000

/**
 * Read the harness's transcript on this machine (a remote daemon cannot) and reduce it to
 * readable turns. Missing or unreadable files give undefined; the caller logs that.
 */
export function readTranscriptFile(file: string): string | undefined {
  let fd: number
  try {
    // Non-blocking open: a FIFO (or device) path would otherwise block this synchronous call
    // forever, and with it the watchdog that keeps the hook inside its budget.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch {
    return undefined
  }
  try {
    const stat = fstatSync(fd)
    if (!stat.isFile()) return undefined
    const size = stat.size
    const length = Math.min(size, MAX_READ_BYTES)
    const buffer = Buffer.alloc(length)
    let offset = 0
    while (offset < length) {
      const read = readSync(fd, buffer, offset, length - offset, size - length + offset)
      if (read === 0) break
      offset += read
    }
    let text = buffer.subarray(0, offset).toString('utf8')
    // Started mid-file: drop the partial first line so JSONL parsing sees whole records.
    if (length < size) text = text.slice(text.indexOf('\n') + 1)
    return prepareTranscript(text)
  } catch {
    return undefined
  } finally {
    closeSync(fd)
  }
}

export function prepareTranscript(raw: string): string | undefined {
  const formatted = formatTranscript(raw)
  return formatted ? capTranscript(formatted, MAX_TRANSCRIPT_CHARS) : undefined
}
