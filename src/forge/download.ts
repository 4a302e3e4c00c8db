import {createHash} from 'node:crypto'
import {closeSync, fsyncSync, openSync, rmSync, writeSync} from 'node:fs'

import {SignetError} from '../errors.js'

export interface DownloadProgress {
  received: number
  /** From Content-Length; undefined when the server does not say. */
  total?: number
}

/** Refuse anything this large: a Forge binary is tens of MB; this stops a runaway server filling the disk. */
export const MAX_ASSET_BYTES = 512 * 1024 * 1024
const MAX_TEXT_BYTES = 64 * 1024
/** Abort when no byte arrives for this long (not a cap on the whole download: slow links are fine). */
const IDLE_TIMEOUT_MS = 30_000

async function request(url: string, what: string): Promise<Response> {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), IDLE_TIMEOUT_MS)
  let response: Response
  try {
    response = await fetch(url, {signal: controller.signal, redirect: 'follow', headers: {'user-agent': 'signet-forge-installer'}})
  } catch (error) {
    const cause = (error as {cause?: {code?: string; message?: string}}).cause
    const detail = controller.signal.aborted ? 'timed out' : (cause?.code ?? cause?.message ?? (error as Error).message)
    throw new SignetError(`could not download ${what} from ${url} (${detail}) — check the network or SIGNET_FORGE_RELEASE_URL`, 'download_failed')
  } finally {
    clearTimeout(timer)
  }
  if (response.status === 404) {
    await response.body?.cancel()
    throw new SignetError(`${what} not found at ${url} (404) — check the version and the release URL`, 'release_not_found')
  }
  if (!response.ok) {
    await response.body?.cancel()
    throw new SignetError(`downloading ${what} from ${url} failed with HTTP ${response.status} — retry later or check the release URL`, 'download_failed')
  }
  return response
}

/** A small text file of the release (`latest`, `SHA256SUMS`). */
export async function fetchReleaseText(url: string, what: string): Promise<string> {
  const response = await request(url, what)
  const bytes = Buffer.from(await response.arrayBuffer())
  if (bytes.length > MAX_TEXT_BYTES) throw new SignetError(`${what} at ${url} is unexpectedly large (${bytes.length} bytes)`, 'download_failed')
  return bytes.toString('utf8')
}

/**
 * Stream a release asset into `destination` (created exclusively, mode 0600 until verified),
 * hashing it on the way, so a multi-MB binary is never held in memory and the checksum covers
 * exactly the bytes written.
 */
export async function downloadAsset(
  url: string,
  destination: string,
  options: {what: string; onProgress?: (progress: DownloadProgress) => void},
): Promise<{sha256: string; bytes: number}> {
  const response = await request(url, options.what)
  const lengthHeader = Number(response.headers.get('content-length'))
  const total = Number.isFinite(lengthHeader) && lengthHeader > 0 ? lengthHeader : undefined
  if (total !== undefined && total > MAX_ASSET_BYTES) {
    await response.body?.cancel()
    throw new SignetError(`${options.what} is ${total} bytes, more than the ${MAX_ASSET_BYTES}-byte limit`, 'download_failed')
  }
  if (!response.body) throw new SignetError(`${options.what} at ${url} has an empty body`, 'download_failed')
  const hash = createHash('sha256')
  const fd = openSync(destination, 'wx', 0o600)
  let received = 0
  const reader = response.body.getReader()
  try {
    for (;;) {
      const idle = setTimeout(() => void reader.cancel(new Error('idle timeout')), IDLE_TIMEOUT_MS)
      let chunk: Awaited<ReturnType<typeof reader.read>>
      try {
        chunk = await reader.read()
      } finally {
        clearTimeout(idle)
      }
      if (chunk.done) break
      received += chunk.value.byteLength
      if (received > MAX_ASSET_BYTES) {
        await reader.cancel()
        throw new SignetError(`${options.what} exceeds the ${MAX_ASSET_BYTES}-byte limit`, 'download_failed')
      }
      hash.update(chunk.value)
      writeSync(fd, chunk.value)
      options.onProgress?.({received, total})
    }
    fsyncSync(fd)
  } catch (error) {
    closeSync(fd)
    rmSync(destination, {force: true})
    if (error instanceof SignetError) throw error
    throw new SignetError(`download of ${options.what} from ${url} broke off after ${received} bytes (${(error as Error).message}) — retry`, 'download_failed')
  }
  closeSync(fd)
  if (total !== undefined && received !== total) {
    rmSync(destination, {force: true})
    throw new SignetError(`download of ${options.what} ended early (${received} of ${total} bytes) — retry`, 'download_failed')
  }
  return {sha256: hash.digest('hex'), bytes: received}
}
