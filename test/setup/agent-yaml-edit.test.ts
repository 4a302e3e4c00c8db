import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {loadAgentConfig} from '../../src/config/agent-config.js'
import {initWorkspace} from '../../src/config/workspace.js'
import {editAgentYaml} from '../../src/setup/agent-yaml-edit.js'

let workspace: string
const file = () => path.join(workspace, 'agent.yaml')

beforeEach(() => {
  workspace = mkdtempSync(path.join(tmpdir(), 'signet-yaml-'))
})
afterEach(() => {
  rmSync(workspace, {recursive: true, force: true})
})

const HAND_WRITTEN = `# My agent. Keep this header.
version: 1
agent:
  name: ada # short name
  description: Writes the compiler
network:
  mode: localhost
  port: 3999 # not the default on purpose
auth:
  mode: local
embedding:
  provider: ollama
  model: nomic-embed-text
hooks:
  promptMaxMemories: 7 # fewer than the default
harnesses: [claude-code] # connected by hand
`

describe('editAgentYaml', () => {
  it('changes only the asked keys; comments, order and other keys survive byte for byte', () => {
    writeFileSync(file(), HAND_WRITTEN)
    const edit = editAgentYaml(workspace, {authMode: 'team'})
    expect(edit.changed).toEqual(['auth.mode'])
    expect(readFileSync(file(), 'utf8')).toBe(HAND_WRITTEN.replace('  mode: local\n', '  mode: team\n'))
  })

  it('keeps a value comment when the value changes, and adds new harnesses after the existing ones', () => {
    writeFileSync(file(), HAND_WRITTEN)
    const edit = editAgentYaml(workspace, {name: 'grace', addHarnesses: ['claude-code', 'codex']})
    expect(edit.changed).toEqual(['agent.name', 'harnesses'])
    const text = readFileSync(file(), 'utf8')
    expect(text).toContain('name: grace # short name')
    expect(text).toContain('# connected by hand')
    expect(text).toContain('port: 3999 # not the default on purpose')
    expect(loadAgentConfig(workspace)).toMatchObject({
      agent: {name: 'grace', description: 'Writes the compiler'},
      harnesses: ['claude-code', 'codex'],
      hooks: {promptMaxMemories: 7},
    })
  })

  it('switches storage (signet storage migrate --switch) keeping comments, and back to sqlite leaving the url for next time', () => {
    writeFileSync(file(), HAND_WRITTEN)
    expect(editAgentYaml(workspace, {storage: {backend: 'postgres', url: 'postgres://signet@db.internal:5432/signet'}}).changed).toEqual([
      'storage.backend',
      'storage.url',
    ])
    const text = readFileSync(file(), 'utf8')
    expect(text.startsWith(HAND_WRITTEN)).toBe(true)
    expect(loadAgentConfig(workspace).storage).toEqual({backend: 'postgres', url: 'postgres://signet@db.internal:5432/signet', poolSize: 10})
    expect(editAgentYaml(workspace, {storage: {backend: 'sqlite'}}).changed).toEqual(['storage.backend'])
    expect(loadAgentConfig(workspace).storage).toMatchObject({backend: 'sqlite', url: 'postgres://signet@db.internal:5432/signet'})
    expect(readFileSync(file(), 'utf8')).toContain('port: 3999 # not the default on purpose')
  })

  it('writes an agent.yaml with just the switched storage when the workspace had none', () => {
    expect(editAgentYaml(workspace, {storage: {backend: 'sqlite'}}).changed).toEqual(['storage.backend'])
    expect(readFileSync(file(), 'utf8')).toBe('storage:\n  backend: sqlite\n')
  })

  it('writes nothing when nothing changes', () => {
    writeFileSync(file(), HAND_WRITTEN)
    const edit = editAgentYaml(workspace, {name: 'ada', networkMode: 'localhost', authMode: 'local', addHarnesses: ['claude-code']})
    expect(edit.changed).toEqual([])
    expect(readFileSync(file(), 'utf8')).toBe(HAND_WRITTEN)
  })

  it('turns the empty list of a fresh workspace into a block list and creates missing sections', () => {
    initWorkspace(workspace)
    editAgentYaml(workspace, {addHarnesses: ['codex', 'gemini']})
    expect(readFileSync(file(), 'utf8')).toMatch(/harnesses:\n {2}- codex\n {2}- gemini\n/)
    writeFileSync(file(), 'version: 1\n')
    const edit = editAgentYaml(workspace, {networkMode: 'tailscale', authMode: 'hybrid', addHarnesses: ['pi']})
    expect(edit.changed).toEqual(['network.mode', 'auth.mode', 'harnesses'])
    expect(loadAgentConfig(workspace)).toMatchObject({network: {mode: 'tailscale'}, auth: {mode: 'hybrid'}, harnesses: ['pi']})
  })

  it('refuses to edit an invalid agent.yaml and leaves it alone', () => {
    const broken = 'network:\n  mode: internet\n'
    writeFileSync(file(), broken)
    expect(() => editAgentYaml(workspace, {authMode: 'team'})).toThrow(/network\.mode = "internet" \(line 2\)/)
    expect(readFileSync(file(), 'utf8')).toBe(broken)
  })
})
