import {z} from 'zod'

import {defineRoutes} from './route.js'

export const finding = z.strictObject({
  level: z.enum(['error', 'warn', 'info']),
  code: z.string().describe('stable identifier, e.g. daemon_down'),
  message: z.string(),
  fix: z.string().optional(),
})

export const dashboardSettingsResponse = z.strictObject({
  config: z.record(z.string(), z.unknown()).describe('the effective agent.yaml, defaults filled in, URLs with credentials redacted'),
  doctor: z.union([
    z.strictObject({
      ok: z.boolean(),
      workspace: z.string(),
      storage: z
        .strictObject({
          backend: z.enum(['sqlite', 'postgres']),
          location: z.string().describe('the SQLite file, or the PostgreSQL URL with its password masked'),
        })
        .nullable()
        .describe('where the data lives as agent.yaml says; null when agent.yaml cannot be read'),
      findings: z.array(finding),
    }),
    z.strictObject({error: z.string().describe('doctor failed or took too long')}),
  ]),
})

export type DashboardSettingsResponse = z.infer<typeof dashboardSettingsResponse>

export const dashboardRoutes = defineRoutes({
  'GET /': {summary: 'The dashboard page (no data and no credential: served before auth).', kind: 'page'},
  'GET /assets/:name': {summary: "The dashboard's script and style files.", params: z.object({name: z.string()}), kind: 'page'},
  'GET /login/:token': {
    summary:
      'A one-time login link: sets the device cookie and redirects to `/`. Only a GET the user started (typed, opened from a terminal or a QR code) gets here: the browser guard refuses it when another site links to it, so no page can log the user into a session of its choosing.',
    params: z.object({token: z.string()}),
    kind: 'page',
  },
  'GET /api/dashboard/events': {
    summary: "The dashboard's change stream (device sessions only): `change` whenever the store changed; the page then re-reads what it shows.",
    kind: 'events',
    events: {hello: z.strictObject({}), change: z.strictObject({})},
  },
  'GET /api/dashboard/settings': {
    summary: "The effective agent.yaml (defaults filled in; it holds no secrets) and doctor's findings with fixes.",
    response: dashboardSettingsResponse,
  },
})

export const mcpRoutes = defineRoutes({
  'ALL /mcp': {
    summary:
      "MCP over Streamable HTTP, stateless (POST JSON-RPC; other methods answer 405). The tools call this daemon's own routes with the caller's credentials, so the same permissions and scope apply.",
    kind: 'json-rpc',
  },
})
