import {execFileSync} from 'node:child_process'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {runCli} from '../helpers/cli.js'
import {makeTempHome, type TempHome} from '../helpers/temp-home.js'
import {fakeForgeBinary, hostAsset, sha256, startReleaseServer, type ReleaseServer} from './release-server.js'

let server: ReleaseServer
let temp: TempHome
let env: NodeJS.ProcessEnv

beforeAll(async () => {
  server = await startReleaseServer()
})
afterAll(async () => {
  await server.close()
})
beforeEach(() => {
  temp = makeTempHome()
  env = {...temp.env, SIGNET_FORGE_RELEASE_URL: server.url, PATH: '/usr/bin:/bin'}
})
afterEach(() => temp.cleanup())

const binary = () => path.join(temp.home, '.config', 'signet', 'bin', 'forge')

describe('signet forge (CLI against a local release server)', () => {
  it('install --yes downloads, verifies and installs; status reports it; update moves to the new latest', async () => {
    server.publish('1.0.0', {[hostAsset()]: fakeForgeBinary('1.0.0')})
    const install = await runCli(['forge', 'install', '--yes'], {env})
    expect(install.stderr).toBe('')
    expect(install.code).toBe(0)
    expect(install.stdout).toContain(`Forge 1.0.0 installed at ${binary()}`)
    expect(install.stdout).toMatch(/sha256 [0-9a-f]{12}… verified against SHA256SUMS/)
    expect(install.stdout).toContain(`export PATH="${path.dirname(binary())}:$PATH"`)
    expect(execFileSync(binary(), {encoding: 'utf8'}).trim()).toBe('forge 1.0.0')

    const status = JSON.parse((await runCli(['forge', 'status', '--json'], {env})).stdout)
    expect(status).toMatchObject({
      installed: true,
      managed: true,
      managedVersion: '1.0.0',
      managedVerified: true,
      onPath: false,
      releaseUrl: server.url,
      releaseUrlOrigin: 'env',
    })
    expect(status.managedRecord).toMatchObject({version: '1.0.0', sha256: sha256(fakeForgeBinary('1.0.0')), sourceUrl: `${server.url}/1.0.0/${hostAsset()}`})

    const onPath = {...env, PATH: `${path.dirname(binary())}:/usr/bin:/bin`}
    const healthy = await runCli(['forge', 'doctor', '--json'], {env: onPath})
    expect(healthy.code).toBe(0)
    expect(JSON.parse(healthy.stdout)).toEqual({ok: true, findings: []})

    server.publish('1.1.0', {[hostAsset()]: fakeForgeBinary('1.1.0')})
    const update = JSON.parse((await runCli(['forge', 'update', '--yes', '--json'], {env: onPath})).stdout)
    expect(update).toMatchObject({action: 'updated', previousVersion: '1.0.0', version: '1.1.0', binDirOnPath: true, pathHint: null})
    expect(execFileSync(binary(), {encoding: 'utf8'}).trim()).toBe('forge 1.1.0')
    const again = await runCli(['forge', 'update', '--yes'], {env: onPath})
    expect(again.stdout).toMatch(/Forge 1\.1\.0 is already installed and verified/)
  })

  it('refuses a tampered asset with one error line and leaves nothing installed', async () => {
    server.publish('6.6.6', {[hostAsset()]: '#!/bin/sh\necho tampered\n'}, {sums: {[hostAsset()]: sha256(fakeForgeBinary('6.6.6'))}, latest: false})
    const result = await runCli(['forge', 'install', '--yes', '--version', '6.6.6'], {env})
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.stderr).toMatch(/^Error: checksum mismatch for forge-\S+ 6\.6\.6: expected [0-9a-f]{64}, got [0-9a-f]{64} — .*nothing was installed/)
    expect(existsSync(binary())).toBe(false)

    const json = await runCli(['forge', 'install', '--yes', '--version', '6.6.6', '--json'], {env})
    expect(json.code).toBe(1)
    expect(JSON.parse(json.stdout).error).toMatchObject({code: 'checksum_mismatch'})
  })

  it('a missing asset and an unknown version are clear errors', async () => {
    server.publish('2.0.0', {[hostAsset()]: fakeForgeBinary('2.0.0')}, {omitFromDisk: [hostAsset()], latest: false})
    const missing = await runCli(['forge', 'install', '--yes', '--version', '2.0.0'], {env})
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/not found at http:\/\/127\.0\.0\.1:\d+\/forge\/2\.0\.0\/forge-\S+ \(404\) — check the version and the release URL/)
    const badVersion = await runCli(['forge', 'install', '--yes', '--version', '../x'], {env})
    expect(badVersion.stderr).toMatch(/--version "\.\.\/x" is not a release version/)
  })

  it('asks for the development-warning acknowledgement: without a terminal --yes is required', async () => {
    server.publish('1.0.0', {[hostAsset()]: fakeForgeBinary('1.0.0')})
    const before = server.requests.length
    const result = await runCli(['forge', 'install'], {env})
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/forge install needs --yes to acknowledge that Forge is in development/)
    expect(server.requests.length).toBe(before)
  })

  it('forge doctor exits 1 when the installed binary was modified', async () => {
    server.publish('1.0.0', {[hostAsset()]: fakeForgeBinary('1.0.0')})
    expect((await runCli(['forge', 'install', '--yes'], {env})).code).toBe(0)
    writeFileSync(binary(), '#!/bin/sh\necho changed\n')
    const result = await runCli(['forge', 'doctor'], {env})
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/✗ error {2}.*no longer matches the sha256 recorded at install/)
    expect(result.stdout).toMatch(/fix: signet forge install --force/)
    expect(readFileSync(binary(), 'utf8')).toContain('changed')
  })
})
