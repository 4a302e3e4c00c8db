/** Larger payloads are cut: nothing a harness sends on stdin needs more (transcripts come by path). */
const MAX_STDIN_BYTES = 8 * 1024 * 1024

/**
 * Read the harness's stdin without trusting it to close: stop at EOF, as soon as the bytes form
 * a complete JSON value, or at the timeout (some harness builds keep the pipe open forever).
 */
export function readHookStdin(timeoutMs: number, stream: NodeJS.ReadStream = process.stdin): Promise<string> {
  if (stream.isTTY) return Promise.resolve('')
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    let settled = false
    const finish = () => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      stream.off('data', onData)
      stream.off('end', finish)
      stream.off('error', finish)
      // Let go of the pipe so it cannot keep the process alive.
      stream.pause()
      stream.destroy()
      resolve(Buffer.concat(chunks, size).toString('utf8'))
    }
    const onData = (chunk: Buffer) => {
      chunks.push(chunk)
      size += chunk.length
      if (size >= MAX_STDIN_BYTES || looksLikeCompleteJson(chunks, size)) finish()
    }
    const timer = setTimeout(finish, timeoutMs)
    stream.on('data', onData)
    stream.once('end', finish)
    stream.once('error', finish)
  })
}

function looksLikeCompleteJson(chunks: Buffer[], size: number): boolean {
  const last = chunks[chunks.length - 1]
  // Cheap gate before a full parse: a JSON object ends with `}` (ignoring trailing whitespace).
  let end = last.length - 1
  while (end >= 0 && (last[end] === 0x0a || last[end] === 0x0d || last[end] === 0x20 || last[end] === 0x09)) end--
  if (end < 0 || last[end] !== 0x7d) return false
  try {
    JSON.parse(Buffer.concat(chunks, size).toString('utf8'))
    return true
  } catch {
    return false
  }
}
