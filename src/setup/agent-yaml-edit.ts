import {isScalar, isSeq, parseDocument, type YAMLSeq} from 'yaml'

import {parseAgentConfig} from '../config/agent-config.js'
import type {AuthMode} from '../config/network.js'
import {workspacePaths} from '../config/paths.js'
import {readTextIfExists, writeFileAtomic} from '../config/atomic-file.js'
import {ConfigError} from '../errors.js'

export interface AgentYamlChanges {
  name?: string
  networkMode?: 'localhost' | 'tailscale'
  authMode?: AuthMode
  /** Added to `harnesses` when missing; existing entries are kept. */
  addHarnesses?: string[]
  /**
   * Where the daemon keeps its data (`signet storage migrate --switch`). A postgres URL is written
   * as given: pass it without its password (that belongs in SIGNET_DATABASE_URL). Switching to
   * sqlite leaves `storage.url` in place: it is ignored there, and ready for a switch back.
   */
  storage?: {backend: 'sqlite'} | {backend: 'postgres'; url: string}
}

export interface AgentYamlEdit {
  file: string
  /** Key paths whose value changed, e.g. `network.mode`; empty when the file was left untouched. */
  changed: string[]
}

/**
 * Change only the asked-for keys of agent.yaml through the `yaml` Document API, so comments,
 * ordering and every other key survive a re-run of `signet setup`. The result is validated
 * before it is written: setup never leaves an agent.yaml the daemon would refuse.
 */
export function editAgentYaml(workspace: string, changes: AgentYamlChanges): AgentYamlEdit {
  const file = workspacePaths(workspace).agentYaml
  // A workspace without agent.yaml runs on defaults: the edit writes one with just the changed keys.
  const before = readTextIfExists(file) ?? ''
  parseAgentConfig(before, file) // an invalid file is reported as it is, not edited blindly
  const doc = parseDocument(before)
  const changed: string[] = []
  const set = (keyPath: string[], value: string) => {
    const current = doc.getIn(keyPath)
    if (current === value) return
    doc.setIn(keyPath, value)
    changed.push(keyPath.join('.'))
  }
  if (changes.name !== undefined) set(['agent', 'name'], changes.name)
  if (changes.networkMode !== undefined) set(['network', 'mode'], changes.networkMode)
  if (changes.authMode !== undefined) set(['auth', 'mode'], changes.authMode)
  if (changes.storage !== undefined) {
    set(['storage', 'backend'], changes.storage.backend)
    if (changes.storage.backend === 'postgres') set(['storage', 'url'], changes.storage.url)
  }
  if (changes.addHarnesses && changes.addHarnesses.length > 0) {
    let seq = doc.get('harnesses', true)
    if (seq === undefined || seq === null || (isScalar(seq) && seq.value === null)) {
      doc.set('harnesses', doc.createNode([]))
      seq = doc.get('harnesses', true)
    }
    if (!isSeq(seq)) throw new ConfigError(`${file}: harnesses must be a list to add ${changes.addHarnesses.join(', ')}`)
    const list = seq as YAMLSeq
    const present = new Set(list.items.map((item) => String(isScalar(item) ? item.value : item)))
    const missing = changes.addHarnesses.filter((harness) => !present.has(harness))
    if (missing.length > 0) {
      // `harnesses: []` from a fresh workspace reads better as a block list once it has entries.
      if (list.items.length === 0) list.flow = false
      for (const harness of missing) list.add(doc.createNode(harness))
      changed.push('harnesses')
    }
  }
  if (changed.length === 0) return {file, changed}
  // No padding inside `[a, b]`: the style people write by hand (and initWorkspace writes).
  const after = doc.toString({flowCollectionPadding: false})
  parseAgentConfig(after, file)
  writeFileAtomic(file, after)
  return {file, changed}
}
