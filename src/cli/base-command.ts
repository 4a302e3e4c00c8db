import {Command, Flags, type Interfaces} from '@oclif/core'

import {resolveWorkspace, type ResolvedWorkspace} from '../config/workspace.js'
import {SignetError} from '../errors.js'
import {paintError} from '../ui/output.js'

export type CommandFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof SignetCommand)['baseFlags'] & T['flags']>
export type CommandArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/**
 * Base of every `signet` command: the shared --path flag, workspace resolution, and one
 * error path (a red line saying what went wrong and what to do, exit 1; JSON with --json).
 */
export abstract class SignetCommand<T extends typeof Command> extends Command {
  static override baseFlags = {
    path: Flags.string({
      char: 'p',
      description: 'workspace directory (default: SIGNET_WORKSPACE, the saved workspace, or ~/.agents)',
      helpGroup: 'GLOBAL',
    }),
  }

  protected flags!: CommandFlags<T>
  protected args!: CommandArgs<T>

  public override async init(): Promise<void> {
    await super.init()
    const ctor = this.ctor as typeof SignetCommand
    const {args, flags} = await this.parse({
      flags: ctor.flags,
      baseFlags: (super.ctor as typeof SignetCommand).baseFlags,
      enableJsonFlag: ctor.enableJsonFlag,
      args: ctor.args,
      strict: ctor.strict,
    })
    this.flags = flags as CommandFlags<T>
    this.args = args as CommandArgs<T>
  }

  protected resolveWorkspace(): ResolvedWorkspace {
    return resolveWorkspace({flag: this.flags.path as string | undefined})
  }

  /** True when output must be machine-readable: no colour, no spinner, no prose. */
  protected get wantsJson(): boolean {
    return this.jsonEnabled()
  }

  protected override async catch(error: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    if (error instanceof SignetError || error.name === 'SignetError') {
      if (this.jsonEnabled()) {
        this.logJson({error: {message: error.message, code: (error as SignetError).code}})
        this.exit(1)
      }
      process.stderr.write(paintError.red(`Error: ${error.message}`) + '\n')
      this.exit(1)
    }
    // oclif's own usage errors (missing argument, unknown flag) exit 2; the contract is exit 1
    // with one line, so re-render them the same way as our errors.
    if (error.oclif?.exit === 2 && !(error as {code?: string}).code?.startsWith('EEXIT')) {
      process.stderr.write(
        paintError.red(`Error: ${oneLine(error.message)}`) +
          paintError.dim(` — see \`${this.config.bin} ${this.id?.replaceAll(':', ' ') ?? ''} --help\``) +
          '\n',
      )
      this.exit(1)
    }
    return super.catch(error)
  }
}

/** oclif spreads usage errors over several lines ("Missing 1 required arg:\ntext …\nSee more help…"). */
function oneLine(message: string): string {
  return message
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('See more help'))
    .join(' ')
    .replace(/:\s+/, ': ')
}
