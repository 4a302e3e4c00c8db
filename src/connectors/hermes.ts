import path from 'node:path'

import {SignetError} from '../errors.js'
import {readTextIfExists} from '../config/atomic-file.js'
import {type HookEvent, nativeHooks} from '../harnesses/profile.js'
import {HARNESS_PROFILES} from '../harnesses/registry.js'
import {editConfigFile} from './config-file-edit.js'
import {type ConnectorContext, type ConnectorStatus, type InstallResult, ProfiledConnector, stateFromParts} from './connector.js'
import {buildHookCommand, HOOK_TIMEOUT_SECONDS, signetHookEventOf} from './hook-command.js'

/**
 * Hermes Agent (NousResearch, Python): shell hooks and MCP servers in `<HERMES_HOME>/config.yaml`
 * (default `~/.hermes`). Hermes runs each `hooks.<event>[].command` without a shell (shlex-split),
 * pipes the event as JSON on stdin and, for `pre_llm_call`, reads `{"context": "…"}` from stdout.
 * Timeouts are seconds (at most 300). `mcp_servers.signet` gives the model the signet_* tools.
 *
 * Editing keeps the user's bytes: when config.yaml has neither a `hooks` nor an `mcp_servers`
 * key (the usual case), our part is one block appended at the end and uninstall cuts exactly that
 * block. When the user has block mappings of their own there, our entries go in as whole lines
 * at the ends of those mappings and uninstall cuts the same lines. Only flow-style (`{…}`)
 * layouts fall back to re-emitting the YAML document (comments kept, spacing normalised).
 *
 * The YAML library loads when config.yaml is read or edited, not with the connector: `signet
 * status` and `signet connector list` ask every connector, and most harnesses are not there
 * (json-config-file.ts).
 */

type Yaml = typeof import('yaml')

const PROFILE = HARNESS_PROFILES.hermes

/**
 * Hermes event → Signet hook event, from the profile (src/harnesses/hermes.ts): pre_llm_call recalls
 * (its first turn also carries the session-start context), post_llm_call stores the transcript.
 */
const HERMES_EVENTS: Array<[string, HookEvent]> = nativeHooks(PROFILE).map((hook) => [hook.native, hook.event])

export function hermesPaths(ctx: ConnectorContext) {
  const home = PROFILE.configDir(ctx)
  return {home, config: path.join(home, 'config.yaml')}
}

function isOurHook(entry: unknown): boolean {
  if (!entry || typeof entry !== 'object') return false
  const command = (entry as {command?: unknown}).command
  return signetHookEventOf(command) !== undefined && typeof command === 'string' && command.trim().endsWith(`-H ${PROFILE.id}`)
}

function isOurMcp(entry: unknown): boolean {
  if (!entry || typeof entry !== 'object') return false
  const args = (entry as {args?: unknown}).args
  return Array.isArray(args) && args.some((arg) => typeof arg === 'string' && /(^|[\\/])bin[\\/]mcp\.js$/.test(arg))
}

function desiredHooks(ctx: ConnectorContext): Record<string, Array<{command: string; timeout: number}>> {
  return Object.fromEntries(
    HERMES_EVENTS.map(([hermesEvent, event]) => [
      hermesEvent,
      [{command: buildHookCommand(ctx.entry, event, PROFILE.id), timeout: HOOK_TIMEOUT_SECONDS[event]}],
    ]),
  )
}

function mcpEntry(ctx: ConnectorContext) {
  return {command: ctx.entry.node, args: [ctx.entry.mcpJs, '--harness', PROFILE.id]}
}

/** The block appended to a config.yaml that has no `hooks`/`mcp_servers` of its own. */
function appendedBlock(yaml: Yaml, ctx: ConnectorContext): string {
  return yaml.stringify({hooks: desiredHooks(ctx), mcp_servers: {signet: mcpEntry(ctx)}}, {lineWidth: 0})
}

function parse(yaml: Yaml, file: string, text: string) {
  const doc = yaml.parseDocument(text)
  if (doc.errors.length > 0) throw new SignetError(`${file} is not valid YAML (${doc.errors[0].message.split('\n')[0]}) — fix it and retry`, 'invalid_config')
  if (doc.contents !== null && !yaml.isMap(doc.contents)) throw new SignetError(`${file} is not a YAML mapping — fix it and retry`, 'invalid_config')
  return doc
}

/** Every appended block of ours in `text` (normally zero or one), found verbatim. */
function withoutAppendedBlock(text: string, block: string): string | undefined {
  if (text === block) return ''
  const at = text.lastIndexOf('\n' + block)
  if (at < 0 || at + 1 + block.length !== text.length) return undefined
  return text.slice(0, at + 1)
}

type YamlDocument = ReturnType<Yaml['parseDocument']>
interface Insertion {
  at: number
  rank: 0 | 1 | 2
  text: string
}
type Range = [number, number]

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1
}

/** Offset just past the line holding `offset - 1` (block collections already end after their newline). */
function lineEnd(text: string, offset: number): number {
  if (offset > 0 && text[offset - 1] === '\n') return offset
  const newline = text.indexOf('\n', offset)
  return newline < 0 ? text.length : newline + 1
}

function plain(node: unknown): unknown {
  return node && typeof node === 'object' && 'toJSON' in node ? (node as {toJSON: () => unknown}).toJSON() : node
}

/** Column of a node's first character (its indentation when it starts a line). */
function columnOf(text: string, offset: number): number {
  return offset - lineStart(text, offset)
}

function indentBlock(yamlText: string, indent: number): string {
  const pad = ' '.repeat(indent)
  return yamlText
    .split('\n')
    .map((line) => (line === '' ? line : pad + line))
    .join('\n')
}

/** A block mapping (not flow `{…}`) whose entries can be edited line by line. */
function blockMap(yaml: Yaml, node: unknown) {
  return yaml.isMap(node) && !node.flow && node.range ? node : undefined
}

/**
 * Insertions that add our entries to a config.yaml that already has `hooks` and/or `mcp_servers`
 * block mappings, as text at line boundaries, so every other byte stays where it was and
 * uninstall can cut exactly the same lines. Undefined when the layout is not plain block YAML.
 */
function surgicalInsertions(yaml: Yaml, ctx: ConnectorContext, doc: YamlDocument, text: string): Insertion[] | undefined {
  const inserts: Insertion[] = []
  const append: Record<string, unknown> = {}
  const ensureNewline = text.endsWith('\n') || text === '' ? '' : '\n'
  const hooks = doc.get('hooks')
  if (hooks === undefined) append.hooks = desiredHooks(ctx)
  else {
    const map = blockMap(yaml, hooks)
    if (!map || map.items.length === 0) return undefined
    const keyIndent = columnOf(text, (map.items[0].key as {range: Range}).range[0])
    for (const [hermesEvent, entries] of Object.entries(desiredHooks(ctx))) {
      const list = map.get(hermesEvent)
      if (list === undefined) {
        inserts.push({at: lineEnd(text, map.range![1]), rank: 1, text: indentBlock(yaml.stringify({[hermesEvent]: entries}, {lineWidth: 0}), keyIndent)})
        continue
      }
      if (!yaml.isSeq(list) || list.flow || list.items.length === 0 || !list.range) return undefined
      const firstItem = list.items[0] as {range?: Range}
      if (!firstItem.range) return undefined
      // the dash sits two columns before the item's first key
      const dashIndent = columnOf(text, firstItem.range[0]) - 2
      if (dashIndent < 0) return undefined
      inserts.push({at: lineEnd(text, list.range[1]), rank: 0, text: indentBlock(yaml.stringify(entries, {lineWidth: 0}), dashIndent)})
    }
  }
  const servers = doc.get('mcp_servers')
  if (servers === undefined) append.mcp_servers = {signet: mcpEntry(ctx)}
  else {
    const map = blockMap(yaml, servers)
    if (!map || map.items.length === 0) return undefined
    if (map.has('signet')) {
      if (!isOurMcp(plain(map.get('signet')))) throw new SignetError("mcp_servers.signet in config.yaml is not Signet's — rename it and retry", 'foreign_entry')
    } else {
      const keyIndent = columnOf(text, (map.items[0].key as {range: Range}).range[0])
      inserts.push({at: lineEnd(text, map.range![1]), rank: 1, text: indentBlock(yaml.stringify({signet: mcpEntry(ctx)}, {lineWidth: 0}), keyIndent)})
    }
  }
  if (Object.keys(append).length > 0) inserts.push({at: text.length, rank: 2, text: ensureNewline + yaml.stringify(append, {lineWidth: 0})})
  return inserts
}

/**
 * Several insertions can land on one offset (a list that ends where its mapping ends): there
 * the list item goes first (rank 0), then new keys (rank 1), then top-level blocks (rank 2),
 * each group in the order it was planned.
 */
function applyInsertions(text: string, inserts: Insertion[]): string {
  const ordered = inserts.map((insert, index) => ({...insert, index})).sort((a, b) => b.at - a.at || b.rank - a.rank || b.index - a.index)
  let out = text
  for (const insert of ordered) out = out.slice(0, insert.at) + insert.text + out.slice(insert.at)
  return out
}

async function installEdit(ctx: ConnectorContext, file: string, text: string): Promise<string> {
  const yaml = await import('yaml')
  const block = appendedBlock(yaml, ctx)
  if (withoutAppendedBlock(text, block) !== undefined) return text
  const doc = parse(yaml, file, text)
  if (!doc.has('hooks') && !doc.has('mcp_servers')) {
    if (text === '') return block
    return text.endsWith('\n') ? text + block : text + '\n' + block
  }
  // reinstall: our entries are already there → nothing to do (an older install path is replaced)
  const parts = await ourParts(text)
  const wanted = JSON.stringify({hooks: desiredHooks(ctx), mcp: mcpEntry(ctx)})
  if (parts.hooks.length === HERMES_EVENTS.length && parts.mcp && JSON.stringify(ourEntries(doc)) === wanted) return text
  const base = parts.hooks.length > 0 || parts.mcp ? await uninstallEdit(ctx, file, text) : text
  const baseDoc = parse(yaml, file, base)
  const inserts = surgicalInsertions(yaml, ctx, baseDoc, base)
  if (inserts) return applyInsertions(base, inserts)
  // flow-style or otherwise unusual YAML: edit the document (comments kept; yaml re-emits it)
  for (const [hermesEvent, entries] of Object.entries(desiredHooks(ctx))) {
    const list = baseDoc.getIn(['hooks', hermesEvent])
    if (yaml.isSeq(list)) for (const entry of entries) list.add(baseDoc.createNode(entry))
    else baseDoc.setIn(['hooks', hermesEvent], baseDoc.createNode(entries))
  }
  baseDoc.setIn(['mcp_servers', 'signet'], baseDoc.createNode(mcpEntry(ctx)))
  return baseDoc.toString({lineWidth: 0})
}

/** Our hook entries and MCP entry as they stand, to tell whether a reinstall would change anything. */
function ourEntries(doc: YamlDocument) {
  const data = (doc.toJSON() ?? {}) as {hooks?: Record<string, unknown[]>; mcp_servers?: Record<string, unknown>}
  const hooks = Object.fromEntries(HERMES_EVENTS.map(([hermesEvent]) => [hermesEvent, (data.hooks?.[hermesEvent] ?? []).filter(isOurHook)]))
  return {hooks, mcp: data.mcp_servers?.signet}
}

/**
 * Line ranges to cut so that only our entries leave: a seq item of ours, or the whole `event:`
 * key when every item under it is ours (then the whole `hooks:` key when all its events go),
 * and `mcp_servers.signet` (the whole `mcp_servers:` when it was the only server).
 */
function surgicalCuts(yaml: Yaml, doc: YamlDocument, text: string): Range[] | undefined {
  const cuts: Range[] = []
  const pairRange = (pair: {key: unknown; value: unknown}): Range | undefined => {
    const key = pair.key as {range?: Range}
    const value = pair.value as {range?: Range} | null
    if (!key?.range || !value?.range) return undefined
    return [lineStart(text, key.range[0]), lineEnd(text, value.range[1])]
  }
  for (const name of ['hooks', 'mcp_servers'] as const) {
    const node = doc.get(name)
    if (node === undefined) continue
    const map = blockMap(yaml, node)
    if (!map) return undefined
    const ownCuts: Range[] = []
    let kept = 0
    for (const pair of map.items) {
      const value = pair.value
      if (name === 'mcp_servers') {
        const ours = (pair.key as {value?: unknown})?.value === 'signet' && isOurMcp(plain(value))
        if (!ours) kept++
        else {
          const range = pairRange(pair)
          if (!range) return undefined
          ownCuts.push(range)
        }
        continue
      }
      if (!yaml.isSeq(value)) {
        kept++
        continue
      }
      const ourItems = value.items.filter((item) => isOurHook(plain(item)))
      if (ourItems.length === 0) {
        kept++
        continue
      }
      if (value.flow) return undefined
      if (ourItems.length === value.items.length) {
        const range = pairRange(pair)
        if (!range) return undefined
        ownCuts.push(range)
        continue
      }
      kept++
      for (const item of ourItems) {
        const range = (item as {range?: Range}).range
        if (!range) return undefined
        ownCuts.push([lineStart(text, range[0]), lineEnd(text, range[1])])
      }
    }
    if (ownCuts.length === 0) continue
    if (kept === 0) {
      const top = doc.contents && yaml.isMap(doc.contents) ? doc.contents.items.find((pair) => (pair.key as {value?: unknown})?.value === name) : undefined
      const range = top && pairRange(top)
      if (!range) return undefined
      cuts.push(range)
    } else cuts.push(...ownCuts)
  }
  return cuts
}

function removeOurs(yaml: Yaml, doc: YamlDocument) {
  const hooks = doc.get('hooks')
  if (yaml.isMap(hooks)) {
    for (const pair of [...hooks.items]) {
      const list = pair.value
      if (!yaml.isSeq(list)) continue
      list.items = list.items.filter((item) => !isOurHook(plain(item)))
      if (list.items.length === 0) hooks.delete(pair.key)
    }
    if (hooks.items.length === 0) doc.delete('hooks')
  }
  const servers = doc.get('mcp_servers')
  if (yaml.isMap(servers)) {
    if (isOurMcp(plain(servers.get('signet')))) servers.delete('signet')
    if (servers.items.length === 0) doc.delete('mcp_servers')
  }
  return doc
}

async function uninstallEdit(ctx: ConnectorContext, file: string, text: string): Promise<string> {
  const yaml = await import('yaml')
  const cut = withoutAppendedBlock(text, appendedBlock(yaml, ctx))
  if (cut !== undefined) return cut
  if (text === '') return text
  const doc = parse(yaml, file, text)
  const cuts = surgicalCuts(yaml, doc, text)
  if (cuts) {
    let out = text
    for (const [from, to] of [...cuts].sort((a, b) => b[0] - a[0])) out = out.slice(0, from) + out.slice(to)
    return out
  }
  const before = JSON.stringify(doc.toJSON())
  const cleaned = removeOurs(yaml, doc)
  return JSON.stringify(cleaned.toJSON()) === before ? text : cleaned.toString({lineWidth: 0})
}

async function ourParts(text: string | undefined): Promise<{hooks: string[]; mcp: boolean}> {
  if (text === undefined) return {hooks: [], mcp: false}
  const yaml = await import('yaml')
  let data: {hooks?: Record<string, unknown>; mcp_servers?: Record<string, unknown>} | null
  try {
    data = yaml.parseDocument(text).toJSON()
  } catch {
    return {hooks: [], mcp: false}
  }
  const hooks = data?.hooks && typeof data.hooks === 'object' ? data.hooks : {}
  return {
    hooks: HERMES_EVENTS.filter(([hermesEvent]) => Array.isArray(hooks[hermesEvent]) && (hooks[hermesEvent] as unknown[]).some(isOurHook)).map(
      ([hermesEvent]) => hermesEvent,
    ),
    mcp: isOurMcp(data?.mcp_servers?.signet),
  }
}

export class HermesConnector extends ProfiledConnector<typeof PROFILE.id> {
  constructor() {
    super(PROFILE, (ctx) => [hermesPaths(ctx).home])
  }

  async install(ctx: ConnectorContext): Promise<InstallResult> {
    const {config} = hermesPaths(ctx)
    const file = await editConfigFile(config, (text) => installEdit(ctx, config, text))
    return {
      harness: this.id,
      files: [file],
      notes: [
        'Hermes asks once per hook before running it: approve the two Signet hooks at the next interactive start, or set `hooks_auto_accept: true` (or HERMES_ACCEPT_HOOKS=1) for gateway and scripted runs.',
        "The signet MCP server needs Hermes's optional `mcp` Python package; restart Hermes (and its gateway) to load hooks and tools.",
      ],
    }
  }

  async uninstall(ctx: ConnectorContext): Promise<InstallResult> {
    const {config} = hermesPaths(ctx)
    return {
      harness: this.id,
      files: [await editConfigFile(config, (text) => uninstallEdit(ctx, config, text), {isEmpty: (text) => text.trim() === ''})],
      notes: [],
    }
  }

  async status(ctx: ConnectorContext): Promise<ConnectorStatus> {
    const {config} = hermesPaths(ctx)
    const detection = await this.detect(ctx)
    const text = readTextIfExists(config)
    const parts = await ourParts(text)
    const problems: string[] = []
    const missing = HERMES_EVENTS.map(([hermesEvent]) => hermesEvent).filter((event) => !parts.hooks.includes(event))
    if (parts.hooks.length > 0 && missing.length > 0)
      problems.push(`${config} lacks the Signet hook for ${missing.join(', ')} — run \`signet connector install ${this.id}\``)
    return {
      harness: this.id,
      state: stateFromParts([missing.length === 0, parts.mcp]),
      detected: detection.detected,
      version: detection.version,
      files: [
        {path: config, present: missing.length === 0, what: `hooks ${HERMES_EVENTS.map(([event]) => event).join(', ')}`},
        {path: config, present: parts.mcp, what: 'mcp_servers.signet'},
      ],
      problems,
    }
  }
}
