import {commands} from '@oclif/plugin-help'

/**
 * `signet help [command]`: @oclif/plugin-help's command, as a command of this package so that it
 * is compiled into the CLI bundle (scripts/bundle-cli.mjs). Loaded as an oclif plugin instead, it
 * cost every start a search for the plugin's package.json and manifest, and its ES module command
 * needed import(), which the bundle cannot use.
 */
export default class Help extends commands.help {
  static override description = 'Show help for signet or for one command or topic (the same as --help)'
  static override examples = ['<%= config.bin %> help', '<%= config.bin %> help daemon', '<%= config.bin %> help api-key create']
}
