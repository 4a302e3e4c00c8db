import type {Hook} from '@oclif/core'

import {paintError} from '../ui/output.js'

function editDistance(a: string, b: string): number {
  const previous = Array.from({length: b.length + 1}, (_, index) => index)
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0]
    previous[0] = i
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j]
      previous[j] = Math.min(previous[j] + 1, previous[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1))
      diagonal = above
    }
  }
  return previous[b.length]
}

/**
 * `signet <typo>`: one red line with the closest command and exit 1 (SPEC §4), instead of
 * oclif's default message and exit 2.
 */
const commandNotFound: Hook<'command_not_found'> = async function (options) {
  const typed = options.id.replaceAll(':', ' ')
  const candidates = [...options.config.commandIDs, ...options.config.topics.map((topic) => topic.name)].map((id) => id.replaceAll(':', ' '))
  const ranked = candidates.map((id) => ({id, distance: editDistance(typed, id)})).sort((a, b) => a.distance - b.distance)
  const best = ranked[0]
  const close = best && best.distance <= Math.max(2, Math.floor(typed.length / 3))
  const hint = close ? ` — did you mean \`signet ${best.id}\`?` : ' — see `signet --help` for the commands'
  process.stderr.write(paintError.red(`Error: unknown command "signet ${typed}"${hint}`) + '\n')
  process.exitCode = 1
}

export default commandNotFound
