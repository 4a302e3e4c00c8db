import {readFileSync} from 'node:fs'

import {workspacePaths} from '../config/paths.js'
import {clampInject, dateLine, IDENTITY_SECTION_CAPS, renderIdentitySections, renderWorkingMemory, statusLine} from './inject-format.js'

function readIfPresent(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}

/**
 * session-start when the daemon cannot be reached: the identity files are plain files on this
 * machine, so the agent still starts with its instructions and working memory (no recall).
 * Undefined when the workspace has none of them (a remote harness machine).
 */
export function buildOfflineSessionInject(workspace: string | undefined): string | undefined {
  if (!workspace) return undefined
  const paths = workspacePaths(workspace)
  const identity = {
    agents: readIfPresent(paths.agentsMd),
    soul: readIfPresent(paths.soulMd),
    identity: readIfPresent(paths.identityMd),
    user: readIfPresent(paths.userMd),
  }
  const memory = readIfPresent(paths.memoryMd)
  const sections = renderIdentitySections(identity)
  if (memory?.trim()) sections.push(renderWorkingMemory(memory, IDENTITY_SECTION_CAPS.workingMemory))
  if (sections.length === 0) return undefined
  const header = statusLine({note: 'The Signet daemon is not reachable, so only the local identity files are loaded (no recalled memories this time).'})
  return clampInject([header, dateLine(), ...sections].join('\n\n'))
}
