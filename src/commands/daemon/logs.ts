import {createReadStream, existsSync, statSync, watchFile} from 'node:fs'

import {Flags} from '@oclif/core'

import {SignetCommand} from '../../cli/base-command.js'
import {workspacePaths} from '../../config/paths.js'
import {readLogTail} from '../../daemon/process.js'

export default class DaemonLogs extends SignetCommand<typeof DaemonLogs> {
  static override description = 'Print the daemon log'
  static override examples = ['<%= config.bin %> daemon logs -n 100', '<%= config.bin %> daemon logs -f']
  static override flags = {
    lines: Flags.integer({char: 'n', description: 'how many lines from the end', default: 50, min: 1}),
    follow: Flags.boolean({char: 'f', description: 'keep printing new lines until interrupted'}),
  }

  public async run(): Promise<void> {
    const {logFile} = workspacePaths(this.resolveWorkspace().path)
    if (!existsSync(logFile)) {
      this.log(`No daemon log yet at ${logFile} — start the daemon with \`signet daemon start\`.`)
      return
    }
    const tail = readLogTail(logFile, this.flags.lines)
    if (tail) this.log(tail)
    if (!this.flags.follow) return
    let offset = statSync(logFile).size
    await new Promise<void>(() => {
      watchFile(logFile, {interval: 250}, (current) => {
        if (current.size < offset) offset = 0 // rotated or truncated
        if (current.size === offset) return
        createReadStream(logFile, {start: offset, end: current.size - 1}).pipe(process.stdout, {end: false})
        offset = current.size
      })
    })
  }
}
