import {execFileSync, spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {initWorkspace} from '../../src/config/workspace.js'
import {renderLaunchdPlist} from '../../src/service/launchd-plist.js'
import {defaultServiceSpec, type ServiceSpec} from '../../src/service/service-spec.js'
import {renderSystemdUnit} from '../../src/service/systemd-unit.js'
import {installedServiceWorkspace} from '../../src/service/user-service.js'
import {runCli, RUN_JS} from '../helpers/cli.js'
import {makeTempHome, type TempHome} from '../helpers/temp-home.js'

const systemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0
const plutil = spawnSync('plutil', ['-help']).error === undefined
const userBusReachable = spawnSync('systemctl', ['--user', 'show-environment']).status === 0

let temp: TempHome

beforeEach(() => {
  temp = makeTempHome()
})
afterEach(() => {
  temp.cleanup()
})

function specFor(workspace: string): ServiceSpec {
  return {nodePath: process.execPath, runJs: RUN_JS, workspace, logsDir: path.join(workspace, '.daemon', 'logs')}
}

describe('systemd user unit', () => {
  it("runs `signet daemon run` for the workspace with absolute paths, the daemon's node flags, and restarts on failure", () => {
    const unit = renderSystemdUnit(specFor('/home/ada/.agents'))
    // The heap kept small under load (B6 in bench/README.md): flags for node, before bin/run.js.
    expect(unit).toContain(
      `ExecStart=${process.execPath} --max-semi-space-size=2 --heap-growing-percent=50 ${RUN_JS} daemon run --quiet --path /home/ada/.agents\n`,
    )
    expect(unit).toMatch(/^Environment=MALLOC_ARENA_MAX=1$/m)
    expect(unit).toMatch(/^Restart=on-failure$/m)
    expect(unit).toMatch(/^WantedBy=default.target$/m)
    expect(unit).toMatch(/^WorkingDirectory=\/home\/ada\/.agents$/m)
    expect(path.isAbsolute(process.execPath)).toBe(true)
  })

  it('quotes and escapes workspace paths with spaces, quotes, % and $ so systemd passes them through literally', () => {
    const workspace = '/tmp/my "agent" 100% $HOME'
    const unit = renderSystemdUnit(specFor(workspace))
    expect(unit).toContain('--path "/tmp/my \\"agent\\" 100%% $$HOME"')
    writeFileSync(path.join(temp.home, 'signet.service'), unit)
    expect(installedServiceWorkspace('systemd', {XDG_CONFIG_HOME: path.join(temp.home, 'none')})).toBeUndefined()
    const unitDir = path.join(temp.home, 'xdg', 'systemd', 'user')
    mkdirSync(unitDir, {recursive: true})
    writeFileSync(path.join(unitDir, 'signet.service'), unit)
    expect(installedServiceWorkspace('systemd', {XDG_CONFIG_HOME: path.join(temp.home, 'xdg')})).toBe(workspace)
  })

  it.skipIf(!systemdAnalyze)(
    `systemd-analyze verify accepts the unit${systemdAnalyze ? '' : ' — SKIPPED: systemd-analyze is not installed (apt-get install systemd)'}`,
    () => {
      const workspace = path.join(temp.home, 'work agent')
      initWorkspace(workspace)
      const file = path.join(temp.home, 'signet.service')
      writeFileSync(file, renderSystemdUnit(defaultServiceSpec(workspace)))
      const verify = spawnSync('systemd-analyze', ['verify', file], {encoding: 'utf8'})
      // verify also lints unrelated system units on some hosts; only lines about our file count.
      const ours = `${verify.stdout}${verify.stderr}`.split('\n').filter((line) => line.includes('signet.service'))
      expect(ours).toEqual([])
      expect(verify.status).toBe(0)

      // And it does fail on a broken unit, so the check above means something.
      writeFileSync(file, renderSystemdUnit(defaultServiceSpec(workspace)).replace(/ExecStart=\S+/, 'ExecStart=relative/node'))
      expect(spawnSync('systemd-analyze', ['verify', file], {encoding: 'utf8'}).status).not.toBe(0)
    },
  )
})

describe('launchd agent', () => {
  it('has the label, the argument vector, restart on crash only, and escaped XML', () => {
    const workspace = '/Users/ada/R&D <agent>'
    const plist = renderLaunchdPlist(specFor(workspace))
    expect(plist).toContain('<string>ai.signet.daemon</string>')
    const args = [...plist.matchAll(/<string>([^<]*)<\/string>/g)].map((match) => match[1])
    const start = args.indexOf(process.execPath)
    expect(args.slice(start, start + 9)).toEqual([
      process.execPath,
      '--max-semi-space-size=2',
      '--heap-growing-percent=50',
      RUN_JS,
      'daemon',
      'run',
      '--quiet',
      '--path',
      '/Users/ada/R&amp;D &lt;agent&gt;',
    ])
    expect(plist).toMatch(/<key>KeepAlive<\/key>\s*<dict>\s*<key>SuccessfulExit<\/key>\s*<false\/>/)
    expect(plist).toMatch(/<key>RunAtLoad<\/key>\s*<true\/>/)
    expect(plist).toMatch(
      /<key>EnvironmentVariables<\/key>\s*<dict>\s*<key>NO_COLOR<\/key>\s*<string>1<\/string>\s*<key>MALLOC_ARENA_MAX<\/key>\s*<string>1<\/string>/,
    )
    if (plutil) {
      const file = path.join(temp.home, 'ai.signet.daemon.plist')
      writeFileSync(file, plist)
      expect(execFileSync('plutil', ['-lint', file], {encoding: 'utf8'})).toContain('OK')
    }
  })
})

describe.skipIf(process.platform !== 'linux')('signet daemon install / uninstall (Linux)', () => {
  it('writes the unit under XDG_CONFIG_HOME, explains what to run without systemctl, is idempotent, and uninstall removes it', async () => {
    const env = {...temp.env, XDG_CONFIG_HOME: path.join(temp.home, 'xdg'), PATH: path.join(temp.home, 'no-systemctl-bin')}
    initWorkspace(temp.workspace)
    const install = await runCli(['daemon', 'install', '--json'], {env})
    expect(install.stderr).toBe('')
    expect(install.code).toBe(0)
    const result = JSON.parse(install.stdout)
    const unitFile = path.join(temp.home, 'xdg', 'systemd', 'user', 'signet.service')
    expect(result).toMatchObject({manager: 'systemd', file: unitFile, fileAction: 'created', enabled: false, managerUnavailable: 'systemctl is not on PATH'})
    expect(result.manualSteps).toContain('systemctl --user enable --now signet.service')
    const unit = readFileSync(unitFile, 'utf8')
    expect(unit).toContain(`--path ${temp.workspace}`)
    expect(unit).toContain(`ExecStart=${process.execPath} `)
    expect(installedServiceWorkspace('systemd', env)).toBe(temp.workspace)

    const again = JSON.parse((await runCli(['daemon', 'install', '--json'], {env})).stdout)
    expect(again.fileAction).toBe('unchanged')

    const human = await runCli(['daemon', 'install'], {env})
    expect(human.stdout).toMatch(/Not started: systemctl is not on PATH/)
    expect(human.stdout).toContain('systemctl --user daemon-reload')

    // A stale enablement link is cleaned up with the unit.
    const wants = path.join(temp.home, 'xdg', 'systemd', 'user', 'default.target.wants')
    mkdirSync(wants, {recursive: true})
    symlinkSync(unitFile, path.join(wants, 'signet.service'))
    const uninstall = JSON.parse((await runCli(['daemon', 'uninstall', '--json'], {env})).stdout)
    expect(uninstall).toMatchObject({removed: true, file: unitFile})
    expect(existsSync(unitFile)).toBe(false)
    expect(existsSync(path.join(wants, 'signet.service'))).toBe(false)
    const nothing = await runCli(['daemon', 'uninstall'], {env})
    expect(nothing.code).toBe(0)
    expect(nothing.stdout).toMatch(/No Signet user service is installed/)
  })

  it('doctor says when the installed unit is from an earlier version or another install, until it is rewritten', async () => {
    const env = {...temp.env, XDG_CONFIG_HOME: path.join(temp.home, 'xdg'), PATH: path.join(temp.home, 'no-systemctl-bin')}
    initWorkspace(temp.workspace)
    expect((await runCli(['daemon', 'install', '--json'], {env})).code).toBe(0)
    const unitFile = path.join(temp.home, 'xdg', 'systemd', 'user', 'signet.service')
    const current = readFileSync(unitFile, 'utf8')
    const serviceFindings = async () => {
      const doctor = await runCli(['doctor', '--json'], {env})
      return (JSON.parse(doctor.stdout).findings as Array<{code: string; message: string; fix?: string}>).filter((finding) =>
        finding.code.startsWith('service_'),
      )
    }
    expect(await serviceFindings()).toEqual([])

    // A unit written before the daemon's allocator setting changed (MALLOC_ARENA_MAX 2 → 1).
    expect(current).toContain('Environment=MALLOC_ARENA_MAX=1')
    writeFileSync(unitFile, current.replace('MALLOC_ARENA_MAX=1', 'MALLOC_ARENA_MAX=2'))
    expect(await serviceFindings()).toEqual([
      expect.objectContaining({
        code: 'service_outdated',
        message: expect.stringMatching(/earlier version of Signet/),
        fix: expect.stringMatching(/^signet daemon install/),
      }),
    ])

    // A unit naming another install's bin/run.js.
    writeFileSync(unitFile, current.replaceAll(RUN_JS, '/opt/other-signet/bin/run.js'))
    expect(await serviceFindings()).toEqual([
      expect.objectContaining({code: 'service_outdated', message: expect.stringContaining('another Node.js or Signet install')}),
    ])

    expect(JSON.parse((await runCli(['daemon', 'install', '--json'], {env})).stdout).fileAction).toBe('updated')
    expect(await serviceFindings()).toEqual([])
  })

  it('defaults to ~/.config/systemd/user and refuses a workspace that does not exist', async () => {
    const env = {...temp.env, PATH: path.join(temp.home, 'no-systemctl-bin')}
    const missing = await runCli(['daemon', 'install', '--path', path.join(temp.home, 'nope')], {env})
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/has no agent.yaml — run `signet setup/)
    initWorkspace(temp.workspace)
    const result = JSON.parse((await runCli(['daemon', 'install', '--no-enable', '--json'], {env})).stdout)
    expect(result.file).toBe(path.join(temp.home, '.config', 'systemd', 'user', 'signet.service'))
    expect(result.managerUnavailable).toMatch(/--no-enable/)
  })

  it.skipIf(userBusReachable)(
    `with systemctl but no user session bus it says so and what to do${userBusReachable ? ' — SKIPPED: this machine has a systemd user session (the test would touch it)' : ''}`,
    async () => {
      if (spawnSync('systemctl', ['--version']).status !== 0) return expect(userBusReachable).toBe(false)
      initWorkspace(temp.workspace)
      const result = JSON.parse((await runCli(['daemon', 'install', '--json'], {env: temp.env})).stdout)
      expect(result.enabled).toBe(false)
      expect(result.managerUnavailable).toMatch(/^no systemd user session/)
      expect(result.manualSteps.join('\n')).toMatch(/container/)
    },
  )
})
