import {type Command, CommandHelp, Help} from '@oclif/core'

/**
 * Descriptions are written as paragraphs with line breaks where the source file wraps them; oclif
 * keeps every break and then wraps again at the terminal width, so lines broke mid-sentence
 * ("…createdAt and" / "agentId: exactly…"). This joins the lines of each plain paragraph and lets
 * oclif wrap once. Blank lines, indented lines and list items keep their own lines.
 */
export function reflowDescription(text: string): string {
  const out: string[] = []
  let paragraph: string[] = []
  const flush = () => {
    if (paragraph.length > 0) out.push(paragraph.join(' '))
    paragraph = []
  }
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '' || /^\s/.test(line) || /^([-*] |\$ |\d+\. )/.test(line)) {
      flush()
      out.push(line)
    } else {
      paragraph.push(line.trim())
    }
  }
  flush()
  return out.join('\n')
}

export default class SignetHelp extends Help {
  protected override getCommandHelpClass(command: Command.Loadable): CommandHelp {
    const reflowed = command.description ? {...command, description: reflowDescription(command.description)} : command
    return new CommandHelp(reflowed, this.config, this.opts)
  }
}
