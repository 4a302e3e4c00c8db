import {execFileSync, spawn} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {startTestDaemon, type TestDaemon} from '../helpers/daemon.js'
import {makeTempHome, type TempHome} from '../helpers/temp-home.js'

/*
 * The one-line remote install, as a user on a fresh machine types it:
 *
 *   npx -y signetai connect pi --url https://host:3850 --api-key - < key.txt
 *
 * run from the packed tarball (`npm pack`, what the registry would serve) in a clean HOME with
 * nothing but Node on PATH and an empty npm cache, against a real team-mode daemon. Opt-in
 * (`npm run test:pack`): packing builds the project and npx installs every dependency.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

let daemon: TestDaemon
let machine: TempHome
let scratch: string
let tarball: string

function filesUnder(dir: string): string[] {
  const found: string[] = []
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name)
    if (statSync(full).isDirectory()) found.push(...filesUnder(full))
    else found.push(full)
  }
  return found
}

function run(command: string, args: string[], options: {env: NodeJS.ProcessEnv; cwd: string; input: string; timeoutMs: number}) {
  return new Promise<{code: number | null; stdout: string; stderr: string; seconds: number}>((resolve, reject) => {
    const started = performance.now()
    const child = spawn(command, args, {env: options.env, cwd: options.cwd})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${command} ${args.join(' ')} timed out\n${stdout}\n${stderr}`))
    }, options.timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code, stdout, stderr, seconds: Math.round((performance.now() - started) / 100) / 10})
    })
    child.stdin.end(options.input)
  })
}

beforeAll(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), 'signet-pack-'))
  // Build, then pack exactly as `npm publish` would (its `prepare` is this same build).
  execFileSync('npm', ['run', 'build'], {cwd: ROOT, stdio: 'ignore'})
  const packed = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', scratch], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  })
  const [info] = JSON.parse(packed) as Array<{filename: string; files: Array<{path: string}>}>
  tarball = path.join(scratch, info.filename)
  const paths = info.files.map((file) => file.path)
  expect(paths).toContain('dist/commands/connect.js')
  expect(paths).toContain('bin/run.js')
  expect(paths.some((file) => file.startsWith('src/') || file.startsWith('test/'))).toBe(false)

  daemon = await startTestDaemon({agentYaml: 'auth:\n  mode: team\n'})
  machine = makeTempHome('signet-fresh-machine-')
}, 240_000)

afterAll(async () => {
  await daemon?.stop()
  machine?.cleanup()
  if (scratch) rmSync(scratch, {recursive: true, force: true})
})

describe('npx -y signetai connect pi --url … --api-key -', () => {
  it('installs the Pi extension on a machine with only Node, the key only in the credential store', async () => {
    const adminToken = readFileSync(daemon.context.paths.adminTokenFile, 'utf8').trim()
    const created = await daemon.request('POST', '/api/auth/api-keys', {
      headers: {authorization: `Bearer ${adminToken}`},
      body: {name: 'laptop pi', connector: 'pi', agentId: 'pi-laptop', scope: {agent: 'pi-laptop'}},
    })
    expect(created.status).toBe(201)
    const key = created.body.apiKey.key as string

    const cache = path.join(scratch, 'npm-cache')
    const env: NodeJS.ProcessEnv = {
      HOME: machine.home,
      // Node and its npx only: no repository bin, no global signet.
      PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`,
      npm_config_cache: cache,
      npm_config_update_notifier: 'false',
      npm_config_fund: 'false',
      npm_config_audit: 'false',
      // A headless machine: no OS keychain, so the key goes to the 0600 credentials file.
      SIGNET_NO_KEYCHAIN: '1',
      NO_COLOR: '1',
    }
    const result = await run('npx', ['-y', `file:${tarball}`, 'connect', 'pi', '--url', daemon.url, '--api-key', '-', '--yes'], {
      env,
      cwd: machine.home,
      input: `${key}\n`,
      timeoutMs: 300_000,
    })
    // The transcript a user sees (the key never appears in it).
    console.log(
      `$ npx -y signetai connect pi --url ${daemon.url} --api-key - < key.txt\n${result.stdout}${result.stderr}(one-line install took ${result.seconds} s)`,
    )
    expect(result.stdout + result.stderr).not.toContain(key)
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0)

    const extension = path.join(machine.home, '.pi', 'agent', 'extensions', 'signet.js')
    expect(existsSync(extension)).toBe(true)
    expect(readFileSync(extension, 'utf8')).toContain('signet_recall')
    const holding = filesUnder(machine.home)
      .filter((file) => readFileSync(file, 'utf8').includes(key))
      .map((file) => path.relative(machine.home, file))
    expect(holding).toEqual([path.join('.config', 'signet', 'credentials.json')])
    expect(statSync(path.join(machine.home, '.config', 'signet', 'credentials.json')).mode & 0o777).toBe(0o600)
    // The key the connector stored is the one the daemon knows, scoped as minted.
    const stored = JSON.parse(readFileSync(path.join(machine.home, '.config', 'signet', 'credentials.json'), 'utf8'))
    expect(JSON.stringify(stored)).toContain(daemon.url)

    // Nothing was built on the machine: the installed package runs from its shipped dist/ and no compiler toolchain came along.
    const installed = readdirSync(path.join(cache, '_npx')).map((dir) => path.join(cache, '_npx', dir, 'node_modules'))
    const pkg = installed.find((dir) => existsSync(path.join(dir, 'signetai')))!
    expect(existsSync(path.join(pkg, 'signetai', 'dist', 'commands', 'connect.js'))).toBe(true)
    expect(existsSync(path.join(pkg, 'typescript'))).toBe(false)
  }, 320_000)
})
