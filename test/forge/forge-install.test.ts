import {execFileSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {installForge} from '../../src/forge/install.js'
import {forgeRecordPath, managedForgePath} from '../../src/forge/record.js'
import {detectForgePlatform} from '../../src/forge/platform.js'
import {compareForgeVersions, parseChecksumFile, resolveReleaseSource} from '../../src/forge/release.js'
import {forgeFindings, forgeStatus} from '../../src/forge/status.js'
import {fakeForgeBinary, hostAsset, sha256, startReleaseServer, type ReleaseServer} from './release-server.js'

let server: ReleaseServer
let configHome: string
const savedEnv = {...process.env}

beforeAll(async () => {
  server = await startReleaseServer()
})
afterAll(async () => {
  await server.close()
})
beforeEach(() => {
  configHome = mkdtempSync(path.join(tmpdir(), 'signet-forge-config-'))
  process.env.XDG_CONFIG_HOME = configHome
  process.env.SIGNET_FORGE_RELEASE_URL = server.url
  process.env.PATH = '/usr/bin:/bin'
})
afterEach(() => {
  process.env = {...savedEnv}
  rmSync(configHome, {recursive: true, force: true})
})

describe('installForge against a real release server', () => {
  it('installs the latest verified asset atomically and records it', async () => {
    server.publish('1.4.0', {[hostAsset()]: fakeForgeBinary('1.4.0'), 'forge-linux-riscv': 'other'})
    const stages: string[] = []
    let lastProgress = 0
    const result = await installForge({onStage: (text) => stages.push(text), onProgress: ({received}) => (lastProgress = received)})
    expect(result).toMatchObject({action: 'installed', version: '1.4.0', previousVersion: null, binaryPath: managedForgePath(), binDirOnPath: false})
    expect(result.pathHint).toContain(path.join(configHome, 'signet', 'bin'))
    expect(managedForgePath()).toBe(path.join(configHome, 'signet', 'bin', 'forge'))
    expect(execFileSync(managedForgePath(), ['--version'], {encoding: 'utf8'}).trim()).toBe('forge 1.4.0')
    expect(statSync(managedForgePath()).mode & 0o777).toBe(0o755)
    expect(lastProgress).toBe(fakeForgeBinary('1.4.0').length)
    const record = JSON.parse(readFileSync(forgeRecordPath(), 'utf8'))
    expect(record).toMatchObject({
      version: '1.4.0',
      sha256: sha256(fakeForgeBinary('1.4.0')),
      sourceUrl: `${server.url}/1.4.0/${hostAsset()}`,
      asset: hostAsset(),
    })
    expect(Date.parse(record.installedAt)).not.toBeNaN()
    expect(stages.some((stage) => stage.includes('latest'))).toBe(true)

    const again = await installForge()
    expect(again.action).toBe('unchanged')
  })

  it('refuses an asset whose checksum does not match and keeps the installed binary', async () => {
    server.publish('2.0.0', {[hostAsset()]: fakeForgeBinary('2.0.0')})
    await installForge({version: '2.0.0'})
    const before = readFileSync(managedForgePath(), 'utf8')
    server.publish('2.0.1', {[hostAsset()]: fakeForgeBinary('2.0.1-tampered')}, {sums: {[hostAsset()]: sha256(fakeForgeBinary('2.0.1'))}})
    await expect(installForge({version: '2.0.1'})).rejects.toMatchObject({
      code: 'checksum_mismatch',
      message: expect.stringMatching(/checksum mismatch .*nothing was installed/),
    })
    expect(readFileSync(managedForgePath(), 'utf8')).toBe(before)
    expect(JSON.parse(readFileSync(forgeRecordPath(), 'utf8')).version).toBe('2.0.0')
    // No half-downloaded temp file is left next to the binary.
    const leftovers = execFileSync('ls', ['-A', path.dirname(managedForgePath())], {encoding: 'utf8'})
      .split('\n')
      .filter(Boolean)
      .sort()
    expect(leftovers).toEqual(['.forge-install.json', 'forge'])
  })

  it('reports a missing asset (404) and a checksum file that does not list this platform', async () => {
    server.publish('3.0.0', {[hostAsset()]: fakeForgeBinary('3.0.0')}, {omitFromDisk: [hostAsset()], latest: false})
    await expect(installForge({version: '3.0.0'})).rejects.toMatchObject({code: 'release_not_found', message: expect.stringContaining('(404)')})
    server.publish('3.0.1', {'forge-plan9-mips': 'x'}, {latest: false})
    await expect(installForge({version: '3.0.1'})).rejects.toMatchObject({code: 'asset_not_listed', message: expect.stringContaining(hostAsset())})
    await expect(installForge({version: '9.9.9'})).rejects.toMatchObject({code: 'release_not_found'})
    expect(existsSync(managedForgePath())).toBe(false)
  })

  it('refuses unsupported platforms before any download', async () => {
    const before = server.requests.length
    await expect(installForge({platform: 'win32', arch: 'x64'})).rejects.toMatchObject({code: 'unsupported_platform', message: expect.stringContaining('WSL')})
    await expect(installForge({platform: 'linux', arch: 'ia32'})).rejects.toMatchObject({
      code: 'unsupported_platform',
      message: expect.stringContaining('Linux/ia32'),
    })
    expect(server.requests.length).toBe(before)
    expect(detectForgePlatform('darwin', 'arm64').asset).toBe('forge-darwin-arm64')
    expect(detectForgePlatform('linux', 'x64').asset).toBe('forge-linux-x64')
  })

  it('refuses versions that are not plain release versions (they become URL paths)', async () => {
    for (const bad of ['../../etc', '1.4', 'latest', '1.4.0/../x']) {
      await expect(installForge({version: bad})).rejects.toMatchObject({code: 'invalid_version'})
    }
    server.publish('4.1.0', {[hostAsset()]: fakeForgeBinary('4.1.0')}, {latest: false})
    expect((await installForge({version: 'v4.1.0'})).version).toBe('4.1.0')
  })

  it('status and findings flag a binary modified after install and a bin dir missing from PATH', async () => {
    server.publish('5.0.0', {[hostAsset()]: fakeForgeBinary('5.0.0')})
    await installForge()
    let status = await forgeStatus()
    expect(status).toMatchObject({installed: true, managed: true, managedVersion: '5.0.0', managedVerified: true, onPath: false})
    expect(forgeFindings(status).map((finding) => finding.code)).toEqual(['forge_not_on_path'])

    process.env.PATH = `${path.dirname(managedForgePath())}:/usr/bin:/bin`
    status = await forgeStatus()
    expect(status).toMatchObject({onPath: true, shadowed: false, version: '5.0.0'})
    expect(forgeFindings(status)).toEqual([])

    writeFileSync(managedForgePath(), '#!/bin/sh\necho evil\n')
    const findings = forgeFindings(await forgeStatus())
    expect(findings).toContainEqual(expect.objectContaining({level: 'error', code: 'forge_binary_modified'}))
    const repaired = await installForge({force: true})
    expect(repaired.action).toBe('reinstalled')
    expect(forgeFindings(await forgeStatus())).toEqual([])
  })
})

describe('release helpers', () => {
  it('parses sha256sum output in text and binary mode', () => {
    const hash = 'a'.repeat(64)
    const sums = parseChecksumFile(`${hash}  forge-linux-x64\n${'B'.repeat(64)} *forge-darwin-arm64\r\nnot a line\n`)
    expect(sums.get('forge-linux-x64')).toBe(hash)
    expect(sums.get('forge-darwin-arm64')).toBe('b'.repeat(64))
    expect(sums.size).toBe(2)
  })

  it('orders versions numerically with pre-releases first', () => {
    expect(compareForgeVersions('1.10.0', '1.9.3')).toBe(1)
    expect(compareForgeVersions('1.4.0-rc.1', '1.4.0')).toBe(-1)
    expect(compareForgeVersions('2.0.0', '2.0.0')).toBe(0)
  })

  it('resolves the release URL from env, then agent.yaml, then the default; bad URLs are named', async () => {
    const workspace = mkdtempSync(path.join(tmpdir(), 'signet-forge-ws-'))
    try {
      writeFileSync(path.join(workspace, 'agent.yaml'), 'forge:\n  releaseUrl: https://mirror.example.com/forge/\n')
      await expect(resolveReleaseSource({workspace, env: {}})).resolves.toEqual({baseUrl: 'https://mirror.example.com/forge', origin: 'agent.yaml'})
      expect((await resolveReleaseSource({workspace, env: {SIGNET_FORGE_RELEASE_URL: 'http://127.0.0.1:9/x'}})).origin).toBe('env')
      expect((await resolveReleaseSource({env: {}})).origin).toBe('default')
      await expect(resolveReleaseSource({env: {SIGNET_FORGE_RELEASE_URL: 'ftp://x'}})).rejects.toThrow(/SIGNET_FORGE_RELEASE_URL must use http or https/)
    } finally {
      rmSync(workspace, {recursive: true, force: true})
    }
  })
})
