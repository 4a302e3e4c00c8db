import {SignetError} from '../errors.js'

/** Prompts only on an interactive terminal (docs/architecture.md, CLI conventions): piped stdin or stdout means automation. */
export function canPrompt(): boolean {
  return Boolean(process.stdin.isTTY) && Boolean(process.stdout.isTTY)
}

// inquirer is imported only when a prompt is really shown: it costs start-up time for every other run.
async function prompt<T>(question: Record<string, unknown>): Promise<T> {
  if (!canPrompt()) throw new SignetError('cannot ask a question without an interactive terminal — pass --yes and flags instead', 'not_interactive')
  const {default: inquirer} = await import('inquirer')
  const answers = (await inquirer.prompt([{...question, name: 'value'}] as never)) as {value: T}
  return answers.value
}

export function askConfirm(message: string, defaultValue = false): Promise<boolean> {
  return prompt<boolean>({type: 'confirm', message, default: defaultValue})
}

export function askInput(message: string, options: {default?: string; validate?: (value: string) => true | string} = {}): Promise<string> {
  return prompt<string>({type: 'input', message, default: options.default, validate: options.validate})
}

export interface Choice<T extends string> {
  value: T
  name: string
  description?: string
  checked?: boolean
}

export function askSelect<T extends string>(message: string, choices: Choice<T>[], defaultValue?: T): Promise<T> {
  return prompt<T>({type: 'select', message, choices, default: defaultValue})
}

export function askCheckbox<T extends string>(message: string, choices: Choice<T>[]): Promise<T[]> {
  return prompt<T[]>({type: 'checkbox', message, choices})
}
