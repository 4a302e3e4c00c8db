import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {startTestDaemon, type TestDaemon} from '../helpers/daemon.js'

// Names are shown in lists, logs and prompts: a RIGHT-TO-LEFT OVERRIDE makes `acme-exe.txt`
// display as `acme-txt.exe`, and zero-width characters make two different names look the same.
// Every name field refuses control, format (Cf), bidi and invisible characters with a 400 naming it.

let daemon: TestDaemon

beforeAll(async () => {
  daemon = await startTestDaemon()
})

afterAll(async () => {
  await daemon.stop()
})

const HIDDEN = {
  'RIGHT-TO-LEFT OVERRIDE': '\u202E',
  'LEFT-TO-RIGHT ISOLATE': '\u2066',
  'ZERO WIDTH SPACE': '\u200B',
  'ZERO WIDTH JOINER': '\u200D',
  'WORD JOINER': '\u2060',
  'BYTE ORDER MARK': '\uFEFF',
  'LINE SEPARATOR': '\u2028',
  'ESCAPE (a control character)': '\u001B',
  'TAG LATIN SMALL LETTER A': '\u{E0061}',
}

const HIDDEN_CASES = Object.entries(HIDDEN).map(([name, char]) => ({name, char}))

/** Where each kind of name enters the daemon, and the field the 400 must name (the character sits inside the name: trimming removes it at the ends). */
const ROUTES: Array<{what: string; method: string; path: string; field: string; body: (value: string) => unknown}> = [
  {
    what: 'memory project',
    method: 'POST',
    path: '/api/memory/remember',
    field: 'project',
    body: (value) => ({content: 'a note', project: `github.com/acme/${value}api`}),
  },
  {what: 'memory tag', method: 'POST', path: '/api/memory/remember', field: 'tags.0', body: (value) => ({content: 'a note', tags: [`deploy${value}`]})},
  {
    what: 'imported memory tag',
    method: 'POST',
    path: '/api/memory/import',
    field: 'memories.0.tags.0',
    body: (value) => ({memories: [{content: 'a note', tags: [`ops${value}`]}]}),
  },
  {what: 'recall project', method: 'POST', path: '/api/memory/recall', field: 'project', body: (value) => ({query: 'note', project: `acme${value}api`})},
  {what: 'agent id', method: 'POST', path: '/api/memory/remember', field: 'agentId', body: (value) => ({content: 'a note', agentId: `alice${value}bob`})},
  {what: 'API key name', method: 'POST', path: '/api/auth/api-keys', field: 'name', body: (value) => ({name: `laptop${value}exe.txt`})},
  {
    what: 'API key scope project',
    method: 'POST',
    path: '/api/auth/api-keys',
    field: 'scope.project',
    body: (value) => ({name: 'laptop', scope: {project: `acme${value}api`}}),
  },
  {
    what: 'hook harness',
    method: 'POST',
    path: '/api/hooks/session-start',
    field: 'harness',
    body: (value) => ({harness: `claude${value}code`, sessionKey: 's1'}),
  },
  {
    what: 'hook project',
    method: 'POST',
    path: '/api/hooks/session-start',
    field: 'project',
    body: (value) => ({harness: 'claude-code', sessionKey: 's1', project: `acme${value}api`}),
  },
  {
    what: 'hook git remote',
    method: 'POST',
    path: '/api/hooks/user-prompt-submit',
    field: 'project.gitRemote',
    body: (value) => ({harness: 'claude-code', sessionKey: 's1', prompt: 'hi', project: {gitRemote: `github.com/acme/${value}api`}}),
  },
  {
    what: 'session search project',
    method: 'POST',
    path: '/api/sessions/search',
    field: 'project',
    body: (value) => ({query: 'deploy', project: `acme${value}api`}),
  },
]

describe('names refuse control, format, bidi and invisible characters', () => {
  describe.each(ROUTES)('$what ($method $path)', (route) => {
    it.each(HIDDEN_CASES)('$name', async ({char}) => {
      const response = await daemon.request(route.method, route.path, {body: route.body(char)})
      expect(response.status, JSON.stringify(response.body)).toBe(400)
      expect(response.body.field).toBe(route.field)
      expect(response.body.error).toMatch(new RegExp(`^${route.field.replaceAll('.', '\\.')}: `))
    })

    it('a plain name is accepted', async () => {
      const response = await daemon.request(route.method, route.path, {body: route.body('-ok')})
      expect(response.status, JSON.stringify(response.body)).toBeLessThan(300)
    })
  })

  it('the message says which character and where', async () => {
    const response = await daemon.request('POST', '/api/memory/remember', {body: {content: 'a note', project: 'acme\u202Eexe.txt'}})
    expect(response.body.error).toBe('project: must not contain control, invisible or bidirectional characters (U+202E at position 4)')
  })

  it('names in other scripts and emoji stay allowed', async () => {
    for (const project of ['github.com/acme/データ', 'проект-ü', 'Δ-core 🚀']) {
      const response = await daemon.request('POST', '/api/memory/remember', {body: {content: `a note about ${project}`, project, tags: [project.slice(-4)]}})
      expect(response.status, project).toBe(201)
    }
  })
})
