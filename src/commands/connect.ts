import ConnectorInstall from './connector/install.js'

/** `signet connect <harness>`: the short form of `signet connector install`. */
export default class Connect extends ConnectorInstall {
  static override description = 'Connect a harness to Signet (same as `signet connector install`)'
}
