/**
 * An error a user can act on: the message says what went wrong and what to do.
 * Commands print `message` as one line and exit 1; nothing else is shown.
 */
export class SignetError extends Error {
  readonly code: string

  constructor(message: string, code = 'signet_error') {
    super(message)
    this.name = 'SignetError'
    this.code = code
  }
}

/** agent.yaml (or another config file) is present but invalid. */
export class ConfigError extends SignetError {
  constructor(message: string) {
    super(message, 'invalid_config')
    this.name = 'ConfigError'
  }
}
