import {execFileSync} from 'node:child_process'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {afterEach, describe, expect, it} from 'vitest'

import {type Connector} from '../../src/connectors/connector.js'
import {renderOpenClawEntry} from '../../src/connectors/openclaw.js'
import {renderOpenCodePlugin} from '../../src/connectors/opencode.js'
import {renderPiExtension} from '../../src/connectors/pi.js'
import {generatedHeader, INSTALL_PLACEHOLDER} from '../../src/connectors/plugin-assets.js'
import {allConnectors, connectorFor} from '../../src/connectors/registry.js'
import {harnessInstructionFile} from '../../src/daemon/sync.js'
import {type HarnessProfile, HOOK_EVENTS, isNativeHook, type TranscriptFormat} from '../../src/harnesses/profile.js'
import {HARNESS_IDS, HARNESS_PROFILES, type HarnessId} from '../../src/harnesses/registry.js'
import {renderHarnessOutput} from '../../src/hooks/harness-output.js'
import {userWords} from '../../src/hooks/harness-wrappers.js'
import {parseHookPayload} from '../../src/hooks/hook-payload.js'
import {formatTranscript} from '../../src/hooks/transcript-format.js'
import {makeHarnessHome, TEST_ENTRY, type TempHarnessHome} from './connector-fixtures.js'

/*
 * Every harness has every piece: a profile with each field, a connector, each Signet event mapped
 * (and, where the harness has the point, installed or handled by its plugin), an output for recall,
 * a reader for its transcripts, and paths that follow its environment overrides. The type check
 * catches most omissions first; this catches the rest, and profiles edited past the types.
 */

/** Every field of a profile; a field added to HarnessProfile must be added here (the type says so). */
const PROFILE_FIELDS: Record<keyof HarnessProfile, true> = {
  id: true,
  displayName: true,
  aliases: true,
  docsUrl: true,
  binary: true,
  integration: true,
  events: true,
  output: true,
  transcripts: true,
  payload: true,
  wrapperTags: true,
  sharedHookClock: true,
  sessionStartWithFirstPrompt: true,
  configDir: true,
  envOverrides: true,
  instructionFile: true,
  skillsDir: true,
}

/** One short conversation in each transcript format a profile can name. */
const TRANSCRIPT_FIXTURES: Record<TranscriptFormat, string> = {
  'claude-jsonl': [
    {type: 'user', message: {role: 'user', content: 'Where do builds run?'}},
    {type: 'assistant', message: {role: 'assistant', content: [{type: 'text', text: 'On the CI runners.'}]}},
  ]
    .map((line) => JSON.stringify(line))
    .join('\n'),
  'codex-rollout': [
    {type: 'response_item', payload: {type: 'message', role: 'user', content: [{type: 'input_text', text: 'Where do builds run?'}]}},
    {type: 'response_item', payload: {type: 'message', role: 'assistant', content: [{type: 'output_text', text: 'On the CI runners.'}]}},
  ]
    .map((line) => JSON.stringify(line))
    .join('\n'),
  'gemini-chat': JSON.stringify({
    messages: [
      {type: 'user', content: 'Where do builds run?'},
      {type: 'gemini', content: 'On the CI runners.'},
    ],
  }),
  'pi-session': [
    {type: 'message', message: {role: 'user', content: [{type: 'text', text: 'Where do builds run?'}]}},
    {type: 'message', message: {role: 'assistant', content: [{type: 'text', text: 'On the CI runners.'}]}},
  ]
    .map((line) => JSON.stringify(line))
    .join('\n'),
  messages: JSON.stringify({
    messages: [
      {role: 'user', content: 'Where do builds run?'},
      {role: 'assistant', content: 'On the CI runners.'},
    ],
  }),
  'plain-text': 'User: Where do builds run?\n\nAssistant: On the CI runners.',
}

/** The plugin file each plugin harness installs, rendered with the test entry points. */
const PLUGIN_SOURCES: Record<string, () => string> = {
  opencode: () => renderOpenCodePlugin(TEST_ENTRY),
  pi: () => renderPiExtension(TEST_ENTRY.bridgeJs, 'pi'),
  omp: () => renderPiExtension(TEST_ENTRY.bridgeJs, 'omp'),
  openclaw: () => renderOpenClawEntry(TEST_ENTRY),
}

/** A value each override accepts: a profile name, a directory name, or an absolute path. */
function sampleValue(name: string, home: string): string {
  if (name.endsWith('_PROFILE')) return 'work'
  if (name === 'PI_CONFIG_DIR') return '.omp-elsewhere'
  return path.join(home, 'moved', name.toLowerCase())
}

const profiles = HARNESS_IDS.map((id) => [id, HARNESS_PROFILES[id] as HarnessProfile] as const)

let temp: TempHarnessHome | undefined
afterEach(() => {
  temp?.cleanup()
  temp = undefined
})

describe('harness profiles', () => {
  it('one profile per harness id, under its own id, with every field', () => {
    expect(Object.keys(HARNESS_PROFILES).sort()).toEqual([...HARNESS_IDS].sort())
    for (const [id, profile] of profiles) {
      expect(profile.id).toBe(id)
      for (const field of Object.keys(PROFILE_FIELDS)) expect(profile[field as keyof HarnessProfile], `${id}.${field}`).toBeDefined()
      expect(profile.displayName.trim(), `${id}.displayName`).not.toBe('')
      expect(profile.binary.trim(), `${id}.binary`).not.toBe('')
      expect(new URL(profile.docsUrl).protocol, `${id}.docsUrl`).toBe('https:')
    }
  })

  it('names and aliases are unique and resolve to their harness', () => {
    const names = profiles.flatMap(([id, profile]) => [id, ...profile.aliases])
    expect(new Set(names).size).toBe(names.length)
    for (const [id, profile] of profiles) {
      for (const name of [id, ...profile.aliases, id.toUpperCase()]) expect(connectorFor(name).id).toBe(id)
    }
  })

  it('maps every Signet event, to a native point or with the reason it has none', () => {
    for (const [id, profile] of profiles) {
      expect(Object.keys(profile.events).sort(), id).toEqual([...HOOK_EVENTS].sort())
      for (const event of HOOK_EVENTS) {
        const mapping = profile.events[event]
        if (isNativeHook(mapping)) expect(mapping.native.trim(), `${id} ${event}`).not.toBe('')
        else expect((mapping as {none?: string}).none?.trim(), `${id} ${event} is neither mapped nor explained`).toBeTruthy()
      }
      // recall is the point of a harness connection, and every session must start somewhere
      expect(isNativeHook(profile.events['user-prompt-submit']), `${id} has no prompt hook`).toBe(true)
      expect(isNativeHook(profile.events['session-start']) || profile.sessionStartWithFirstPrompt, `${id} never starts a session`).toBe(true)
    }
  })

  it('each harness gets recalled memories in the form it reads, and session-start context unless it comes with the first prompt', () => {
    for (const [id, profile] of profiles) {
      expect(renderHarnessOutput(id, 'user-prompt-submit', {inject: 'recalled note'}), id).toContain('recalled note')
      if (!profile.sessionStartWithFirstPrompt) expect(renderHarnessOutput(id, 'session-start', {inject: 'identity'}), id).toContain('identity')
    }
  })

  it('every transcript format a harness sends reads as the same user and assistant turns', () => {
    for (const [id, profile] of profiles) {
      expect(profile.transcripts.length, id).toBeGreaterThan(0)
      for (const format of profile.transcripts) {
        expect(formatTranscript(TRANSCRIPT_FIXTURES[format]), `${id} ${format}`).toBe('User: Where do builds run?\n\nAssistant: On the CI runners.')
      }
    }
  })

  it("what a harness wraps around the user's words is removed before recall, and the words it wraps are kept", () => {
    for (const [id, profile] of profiles) {
      for (const tag of profile.wrapperTags.strip)
        expect(userWords(`<${tag}>harness context</${tag}>\nWhere do builds run?`), `${id} <${tag}>`).toBe('Where do builds run?')
      for (const tag of profile.wrapperTags.unwrap) expect(userWords(`<${tag}>Where do builds run?</${tag}>`), `${id} <${tag}>`).toBe('Where do builds run?')
    }
  })

  it('the hook reads the session and project directory from the variables the profile names', () => {
    for (const [id, profile] of profiles) {
      for (const name of profile.payload.sessionKeyEnv) expect(parseHookPayload('{}', id, {[name]: 'from-env'}).sessionKey, `${id} ${name}`).toBe('from-env')
      for (const name of profile.payload.cwdEnv) expect(parseHookPayload('{}', id, {[name]: '/from/env'}).cwd, `${id} ${name}`).toBe('/from/env')
    }
  })
})

describe('connectors and profiles', () => {
  it('one connector per profile, carrying that profile', () => {
    const connectors: Connector[] = allConnectors()
    expect(connectors.map((connector) => connector.id)).toEqual([...HARNESS_IDS])
    for (const connector of connectors) {
      expect(connector.profile).toBe(HARNESS_PROFILES[connector.id])
      expect(connector.displayName).toBe(connector.profile.displayName)
    }
  })

  it.each(HARNESS_IDS.filter((id) => HARNESS_PROFILES[id].integration === 'shell-hooks'))(
    '%s: install writes a hook for each native point and status finds them',
    async (id: HarnessId) => {
      const profile: HarnessProfile = HARNESS_PROFILES[id]
      // the newest harness version, so hooks gated on a version are written too
      temp = makeHarnessHome({versions: {[profile.binary]: `${profile.binary} 999.0.0`}})
      const connector = connectorFor(id)
      const result = await connector.install(temp.ctx)
      const written = result.files
        .filter((file) => file.action !== 'absent')
        .map((file) => temp!.read(path.relative(temp!.home, file.path)))
        .join('\n')
      for (const event of HOOK_EVENTS) {
        const mapping = profile.events[event]
        if (isNativeHook(mapping)) expect(written, `${id}: no hook for ${mapping.native} (${event})`).toContain(`${mapping.native}`)
        if (isNativeHook(mapping)) expect(written, `${id}: ${mapping.native} does not run ${event}`).toContain(`hook ${event} -H ${id}`)
      }
      expect((await connector.status(temp.ctx)).state).toBe('installed')
    },
  )

  it.each(Object.keys(PLUGIN_SOURCES))('%s: the plugin handles each native point, is valid JavaScript and carries its install values', (id) => {
    const profile: HarnessProfile = HARNESS_PROFILES[id as HarnessId]
    expect(profile.integration).toBe('plugin')
    const source = PLUGIN_SOURCES[id]()
    expect(source.startsWith(generatedHeader(id) + '\n')).toBe(true)
    for (const mapping of Object.values(profile.events)) {
      if (!isNativeHook(mapping)) continue
      for (const name of [mapping.native, ...(mapping.alsoOn ?? [])]) expect(source, `${id} plugin does not handle ${name}`).toContain(`'${name}'`)
    }
    expect(source).not.toContain(INSTALL_PLACEHOLDER)
    expect(source).not.toContain('signet-only')
    expect(
      source.includes(JSON.stringify(TEST_ENTRY.runJs)) || source.includes(pathToFileURL(TEST_ENTRY.bridgeJs).href),
      `${id} plugin lacks the recorded Signet paths`,
    ).toBe(true)
    temp = makeHarnessHome()
    const file = temp.write(`plugin-${id}.mjs`, source)
    // syntax only: imports are not resolved
    execFileSync(process.execPath, ['--check', file])
  })

  it('every plugin harness has a plugin source here, and every shell-hook harness none', () => {
    expect(HARNESS_IDS.filter((id) => HARNESS_PROFILES[id].integration === 'plugin').sort()).toEqual(Object.keys(PLUGIN_SOURCES).sort())
  })

  it.each(HARNESS_IDS.flatMap((id) => Object.keys(HARNESS_PROFILES[id].envOverrides).map((name) => [id, name] as const)))('%s follows %s', async (id, name) => {
    temp = makeHarnessHome()
    const connector = connectorFor(id)
    const paths = (status: Awaited<ReturnType<Connector['status']>>) => [...new Set(status.files.map((file) => file.path))].sort()
    const before = paths(await connector.status(temp.ctx))
    temp.ctx.env[name] = sampleValue(name, temp.home)
    const after = paths(await connector.status(temp.ctx))
    expect(after, `${name} moved nothing for ${id}`).not.toEqual(before)
  })

  it('instruction files and skills live in the harness config dir', () => {
    const environment = {home: '/h', env: {}}
    for (const [id, profile] of profiles) {
      const file = harnessInstructionFile(id, environment)
      if (profile.instructionFile === null) expect(file, id).toBeUndefined()
      else expect(file, id).toBe(path.join(profile.configDir(environment), profile.instructionFile))
    }
  })
})

describe('writing a plugin file', () => {
  it('an install value cannot break out of its string', () => {
    const hostile = {...TEST_ENTRY, runJs: '/opt/x"; process.exit(1); "/bin/run.js'}
    temp = makeHarnessHome()
    const file = temp.write('plugin.mjs', `${renderOpenCodePlugin(hostile)}\nexport const recorded = SIGNET\n`)
    const recorded = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', `import {recorded} from ${JSON.stringify(file)}; process.stdout.write(recorded)`],
      {encoding: 'utf8'},
    )
    expect(recorded).toBe(hostile.runJs)
  })
})
