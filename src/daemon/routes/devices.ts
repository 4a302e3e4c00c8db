import {Hono} from 'hono'

import {deviceIdParams as deviceIdParam, type DeviceView, loginLinkBody} from '../../api/devices.js'
import {csrfTokenFor, MAX_PENDING_LOGIN_LINKS, type DeviceSession} from '../../store/device-sessions.js'
import {ApiError, forbidden, notFound} from '../api-error.js'
import {deviceCookieHeader, deviceCookieValue, isHttpsRequest} from '../auth/device-cookie.js'
import {requirePermission, type Principal} from '../auth/principal.js'
import type {AppEnv, DaemonContext} from '../context.js'
import {parseWith, readJsonBody} from '../request-validation.js'
import {respond} from '../respond.js'

/** Device sessions for the dashboard: who is logged in, the owner's list and revoke, and minting login links. */
export function deviceRoutes(daemon: DaemonContext) {
  const app = new Hono<AppEnv>()
  const store = daemon.storage.devices
  const audit = daemon.storage.audit

  /** The page's view of its own session, and the CSRF token it must echo on every change. */
  app.get('/api/session', async (c) => {
    const principal = c.get('principal')
    const token = deviceCookieValue(daemon, c)
    // Any other caller is answered, not refused: it is authenticated, just not as a dashboard device.
    if (principal.kind !== 'device' || token === undefined)
      return respond(c, 'GET /api/session', {device: null, role: principal.role, permissions: principal.permissions, csrfToken: null})
    const device = (await store.get(principal.deviceId!))!
    return respond(c, 'GET /api/session', {
      device: presentDevice(device, principal),
      role: principal.role,
      permissions: principal.permissions,
      csrfToken: csrfTokenFor(token),
    })
  })

  app.post('/api/session/logout', async (c) => {
    const principal = c.get('principal')
    if (principal.kind !== 'device') throw new ApiError(400, 'no_device_session', 'this request carries no dashboard session to log out of')
    await store.revoke(principal.deviceId!)
    await audit.record({event: 'device_revoked', peer: principal.peer, detail: {deviceId: principal.deviceId, by: 'itself'}})
    c.header('Set-Cookie', deviceCookieHeader(daemon, isHttpsRequest(daemon, c), ''))
    return respond(c, 'POST /api/session/logout', {loggedOut: true})
  })

  app.get('/api/devices', async (c) => {
    const principal = c.get('principal')
    requirePermission(principal, 'admin')
    return respond(c, 'GET /api/devices', {devices: (await store.list()).map((device) => presentDevice(device, principal))})
  })

  app.delete('/api/devices/:id', async (c) => {
    const principal = c.get('principal')
    requirePermission(principal, 'admin')
    const {id} = parseWith(deviceIdParam, c.req.param())
    const device = await store.revoke(id)
    if (!device) throw notFound(`device ${id} not found`)
    await audit.record({event: 'device_revoked', peer: principal.peer, detail: {deviceId: id, by: principal.deviceId ?? principal.keyId ?? principal.kind}})
    return respond(c, 'DELETE /api/devices/:id', {device: presentDevice(device, principal)})
  })

  /**
   * A one-time login link (`signet dashboard`, `signet pair --device`). Only the owner's own tools
   * mint them, never a device session: a device that is revoked must not have left itself a way back.
   */
  app.post('/api/devices/login-links', async (c) => {
    const principal = c.get('principal')
    requirePermission(principal, 'admin')
    if (principal.kind === 'device')
      throw forbidden('login links are made on the daemon machine (signet dashboard, signet pair --device), not from a dashboard session', 'device_cannot_mint')
    const body = await readJsonBody(c, loginLinkBody)
    if ((await store.pendingLinkCount()) >= MAX_PENDING_LOGIN_LINKS) {
      throw new ApiError(429, 'too_many_login_links', `${MAX_PENDING_LOGIN_LINKS} login links are already waiting to be used; use or let some expire first`)
    }
    const link = await store.issueLink({name: body.name, agentId: body.agentId ?? null, project: body.project ?? null}, body.ttlSeconds * 1000)
    await audit.record({
      event: 'device_link_created',
      peer: principal.peer,
      detail: {name: link.name, agentId: link.agentId, project: link.project, expiresAt: link.expiresAt},
    })
    const path = `/login/${link.token}`
    return respond(
      c,
      'POST /api/devices/login-links',
      {
        token: link.token,
        path,
        url: `${daemon.url}${path}`,
        name: link.name,
        agentId: link.agentId,
        project: link.project,
        expiresAt: link.expiresAt,
        ttlSeconds: body.ttlSeconds,
      },
      201,
    )
  })

  return app
}

function presentDevice(device: DeviceSession, viewer: Principal): DeviceView {
  return {...device, current: viewer.kind === 'device' && viewer.deviceId === device.id}
}
