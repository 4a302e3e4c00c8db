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
 * `signet <typo>`: one red line with the closest command and exit 1 (docs/architecture.md, CLI conventions), instead of
 * oclif's default message and exit 2.
 */
const commandNotFound: Hook<'command_not_found'> = async function (options) {
  const typed = options.id.replaceAll(':', ' ')
  const words = typed.split(' ')
  const commands = new Set(options.config.commandIDs.map((id) => id.replaceAll(':', ' ')))
  // oclif lists every command as a topic too: a topic here is a group only (`api-key`, `daemon`).
  const topics = new Set(options.config.topics.map((topic) => topic.name.replaceAll(':', ' ')).filter((name) => !commands.has(name)))
  const candidates = [...commands, ...topics]
  // oclif hands over the typed words with their arguments ("conect pi"): compare a k-word command
  // with the first k words only, and keep the rest as they were typed in the suggestion.
  const ranked = candidates
    .map((id) => {
      const length = id.split(' ').length
      const head = words.slice(0, length).join(' ')
      return {id, head, rest: words.slice(length).join(' '), distance: editDistance(head, id)}
    })
    // A topic followed by more words ("api-key lst") means one of its commands was mistyped, not the topic.
    .filter((candidate) => candidate.head.length > 0 && !(topics.has(candidate.id) && candidate.rest !== ''))
    .sort((a, b) => a.distance - b.distance || b.id.length - a.id.length)
  const best = ranked[0]
  const close = best && best.distance <= Math.max(2, Math.floor(best.head.length / 3))
  const suggestion = best ? [best.id, best.rest].filter(Boolean).join(' ') : ''
  const hint = close ? ` — did you mean \`signet ${suggestion}\`?` : ' — see `signet --help` for the commands'
  process.stderr.write(paintError.red(`Error: unknown command "signet ${typed}"${hint}`) + '\n')
  process.exitCode = 1
}

export default commandNotFound
