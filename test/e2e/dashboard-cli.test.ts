import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {freePort, runCli} from '../helpers/cli.js'
import {makeTempHome, type TempHome} from '../helpers/temp-home.js'

/** `signet dashboard`, `signet pair --device` and `signet device list|revoke` against a daemon the CLI started. */

let temp: TempHome
let env: NodeJS.ProcessEnv

beforeAll(async () => {
  temp = makeTempHome()
  const port = await freePort()
  env = {...temp.env, SIGNET_PORT: String(port), PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`, SIGNET_NO_KEYCHAIN: '1'}
  expect((await runCli(['daemon', 'start'], {env, timeoutMs: 60_000})).code).toBe(0)
})

afterAll(async () => {
  if (env) await runCli(['daemon', 'stop'], {env})
  temp?.cleanup()
})

describe('dashboard devices from the CLI', () => {
  it('signet dashboard prints a one-time link; device list shows the browser it logs in; revoke ends it', async () => {
    const human = await runCli(['dashboard', '--no-open'], {env})
    expect(human.code).toBe(0)
    expect(human.stdout).toMatch(/Dashboard login link \(works once, until .+\):\n {2}http:\/\/127\.0\.0\.1:\d+\/login\/[A-Za-z0-9_-]{43}\n/)

    const link = JSON.parse((await runCli(['dashboard', '--no-open', '--json'], {env})).stdout)
    const login = await fetch(link.url, {redirect: 'manual'})
    expect(login.status).toBe(303)
    const cookie = String(login.headers.get('set-cookie')).split(';')[0]
    const origin = new URL(link.url).origin
    expect((await fetch(`${origin}/api/memories`, {headers: {cookie}})).status).toBe(200)

    const listed = JSON.parse((await runCli(['device', 'list', '--json'], {env})).stdout)
    expect(listed.devices).toHaveLength(1)
    expect(listed.devices[0]).toMatchObject({status: 'active', agentId: null, project: null})
    expect((await runCli(['device', 'list'], {env})).stdout).toContain(`${listed.devices[0].id}  active`)

    const revoked = await runCli(['device', 'revoke', listed.devices[0].id], {env})
    expect(revoked.code).toBe(0)
    expect(revoked.stdout).toContain(`Revoked device ${listed.devices[0].id}`)
    expect((await fetch(`${origin}/api/memories`, {headers: {cookie}})).status).toBe(401)
  })

  it('signet pair --device prints a QR of a scoped one-time link', async () => {
    const human = await runCli(['pair', '--device', '--name', 'phone', '--agent-id', 'pi-phone'], {env})
    expect(human.code).toBe(0)
    expect(human.stdout).toContain('Scan with the device')
    expect(human.stdout).toMatch(/Or open: http:\/\/\S+\/login\/[A-Za-z0-9_-]{43}/)
    expect(human.stdout).toContain('will see only agent pi-phone')
    const json = JSON.parse((await runCli(['pair', '--device', '--name', 'tablet', '--project', 'signet', '--json'], {env})).stdout)
    expect(json).toMatchObject({name: 'tablet', project: 'signet', agentId: null})
    expect(json.loginUrl.endsWith(json.path)).toBe(true)
  })

  it('refuses what it cannot do, naming the problem', async () => {
    const bad = await runCli(['device', 'revoke', 'nope'], {env})
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('not a device id')
    const mixed = await runCli(['pair', '--device', '--connector', 'pi'], {env})
    expect(mixed.code).toBe(1)
    const unknown = await runCli(['device', 'revoke', 'dev_AAAAAAAAAAAAAAAA'], {env})
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain('not found')
  })
})
