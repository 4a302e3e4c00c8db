import {mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import type {ConnectorContext} from '../../src/connectors/connector.js'
import type {SignetEntryPoints} from '../../src/connectors/hook-command.js'

/** Entry points as they look on a real install (a path with a space, to prove quoting). */
export const TEST_ENTRY: SignetEntryPoints = {
  node: '/usr/local/bin/node',
  runJs: '/opt/my tools/signetai/bin/run.js',
  mcpJs: '/opt/my tools/signetai/bin/mcp.js',
  bridgeJs: '/opt/my tools/signetai/dist/connectors/harness-bridge.js',
}

export interface TempHarnessHome {
  home: string
  ctx: ConnectorContext
  write(relative: string, content: string): string
  read(relative: string): string
  exists(relative: string): boolean
  /** Every file under HOME with its bytes (to compare whole trees). */
  snapshot(): Record<string, string>
  cleanup(): void
}

export function makeHarnessHome(options: {versions?: Record<string, string>; env?: NodeJS.ProcessEnv} = {}): TempHarnessHome {
  const home = mkdtempSync(path.join(tmpdir(), 'signet-connector-'))
  const ctx: ConnectorContext = {
    home,
    env: {HOME: home, ...options.env},
    entry: TEST_ENTRY,
    probeVersion: async (binary) => options.versions?.[binary],
  }
  const abs = (relative: string) => path.join(home, relative)
  return {
    home,
    ctx,
    write(relative, content) {
      mkdirSync(path.dirname(abs(relative)), {recursive: true})
      writeFileSync(abs(relative), content)
      return abs(relative)
    },
    read: (relative) => readFileSync(abs(relative), 'utf8'),
    exists(relative) {
      try {
        statSync(abs(relative))
        return true
      } catch {
        return false
      }
    },
    snapshot() {
      const files: Record<string, string> = {}
      const walk = (dir: string) => {
        for (const name of readdirSync(dir)) {
          const full = path.join(dir, name)
          if (statSync(full).isDirectory()) walk(full)
          else files[path.relative(home, full)] = readFileSync(full, 'utf8')
        }
      }
      walk(home)
      return files
    },
    cleanup: () => rmSync(home, {recursive: true, force: true}),
  }
}

/** Files an install created that are not backups of the user's originals. */
export function withoutBackups(snapshot: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(snapshot).filter(([file]) => !file.endsWith('.signet-backup')))
}
