import {createHash} from 'node:crypto'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'

/** A tiny executable standing in for a Forge build: prints its version like the real one. */
export function fakeForgeBinary(version: string): string {
  return `#!/bin/sh\necho "forge ${version}"\n`
}

export function sha256(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex')
}

export interface ReleaseServer {
  url: string
  root: string
  /** Every request path served, in order (to prove what was or was not downloaded). */
  requests: string[]
  /**
   * Publish a release: assets by name, and SHA256SUMS computed from them unless `sums` overrides
   * lines (to simulate a tampered asset or a checksum file that omits one).
   */
  publish(version: string, assets: Record<string, string>, options?: {sums?: Record<string, string>; omitFromDisk?: string[]; latest?: boolean}): void
  close(): Promise<void>
}

/** Real release files on disk behind a real HTTP server on loopback, laid out as src/forge/release.ts documents. */
export async function startReleaseServer(): Promise<ReleaseServer> {
  const root = mkdtempSync(path.join(tmpdir(), 'signet-forge-release-'))
  const requests: string[] = []
  const server: Server = createServer((request, response) => {
    const urlPath = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname)
    requests.push(urlPath)
    const file = path.join(root, path.normalize(urlPath).replace(/^(\.\.[/\\])+/, ''))
    try {
      const body = readFileSync(file)
      response.writeHead(200, {'content-type': 'application/octet-stream', 'content-length': body.length})
      response.end(body)
    } catch {
      response.writeHead(404, {'content-type': 'text/plain'})
      response.end('not found')
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/forge`,
    root,
    requests,
    publish(version, assets, options = {}) {
      const dir = path.join(root, 'forge', version)
      mkdirSync(dir, {recursive: true})
      const lines: string[] = []
      for (const [name, content] of Object.entries(assets)) {
        if (!options.omitFromDisk?.includes(name)) writeFileSync(path.join(dir, name), content)
        lines.push(`${options.sums?.[name] ?? sha256(content)}  ${name}`)
      }
      for (const [name, hash] of Object.entries(options.sums ?? {})) {
        if (!(name in assets)) lines.push(`${hash}  ${name}`)
      }
      writeFileSync(path.join(dir, 'SHA256SUMS'), lines.join('\n') + '\n')
      if (options.latest !== false) writeFileSync(path.join(root, 'forge', 'latest'), `${version}\n`)
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          rmSync(root, {recursive: true, force: true})
          resolve()
        })
        server.closeAllConnections()
      }),
  }
}

/** The asset name for the machine running the tests (CI is Linux or macOS on x64/arm64). */
export function hostAsset(): string {
  return `forge-${process.platform}-${process.arch}`
}
