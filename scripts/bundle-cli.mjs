#!/usr/bin/env node
// Bundles the oclif CLI (@oclif/core, every command and the pure-JS packages they use) into one
// CommonJS file, dist/cli.cjs, which bin/run.js loads with a V8 code cache for every command people
// type (B5 in bench/README.md: p50 ≤ 2 × bare `node -e ""`). Unbundled, a command start resolved and read
// ~190 CommonJS files (oclif and its dependencies: requiring @oclif/core alone cost ~2 × a bare node
// start) and ~130 ES modules (zod alone is 95), each a path search, a file read and a compile.
//
// Commands stay lazy: the bundle exports COMMANDS, an object whose properties are getters, and a
// command's module (with what it imports) is evaluated only when oclif asks for that command. oclif
// finds commands there through `"commands": {"strategy": "explicit", …}` in package.json and
// reads their flags and descriptions from oclif.manifest.json, built from this bundle.
// Runs after tsc, so the bundle is made of exactly the code tsc checked.
import {readdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {build} from 'esbuild'

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')
const dist = path.join(root, 'dist')

/**
 * Packages loaded from node_modules at run time rather than compiled in: native addons (and the
 * package that locates sqlite-vec's shared library next to itself), and the optional keychain module.
 */
const EXTERNAL = [
  'better-sqlite3',
  'sqlite-vec',
  'keytar',
  // The PostgreSQL client is loaded only by a daemon configured for it (src/store/open-storage.ts).
  'pg',
  // oclif reads a tsconfig with TypeScript only when run from source in development; compiled in,
  // TypeScript would be two thirds of the bundle.
  'typescript',
]

function commandFiles(dir, prefix = []) {
  return readdirSync(dir, {withFileTypes: true}).flatMap((entry) => {
    if (entry.isDirectory()) return commandFiles(path.join(dir, entry.name), [...prefix, entry.name])
    if (!entry.name.endsWith('.js')) return []
    return [{id: [...prefix, entry.name.slice(0, -3)].join(':'), file: path.join(dir, entry.name)}]
  })
}

const commands = commandFiles(path.join(dist, 'commands')).sort((a, b) => a.id.localeCompare(b.id))
const rel = (file) => `./${path.relative(dist, file).split(path.sep).join('/')}`

// `require()` (not a static import) is what keeps each command lazy: esbuild wraps a required ES
// module in an initialiser that runs on first use, with everything it imports.
const entry = `
const core = require('@oclif/core')
const COMMANDS = {}
${commands.map(({id, file}) => `Object.defineProperty(COMMANDS, ${JSON.stringify(id)}, {enumerable: true, get: () => require(${JSON.stringify(rel(file))}).default})`).join('\n')}
module.exports = {
  execute: core.execute,
  COMMANDS,
  // oclif calls a hook with its context as \`this\`.
  commandNotFound: function (options) { return require('./cli/command-not-found.js').default.call(this, options) },
}
// The help class (package.json oclif.helpClass), loaded only when help is shown.
Object.defineProperty(module.exports, 'SignetHelp', {enumerable: true, get: () => require('./cli/help.js').default})
`

/**
 * `import.meta.url` has no meaning in a CommonJS bundle: each file's use becomes the URL the file had
 * in dist/, computed from the bundle's own location, so paths built relative to it (bin/run.js,
 * package.json, assets/) still resolve.
 */
const importMetaUrl = {
  name: 'import-meta-url-of-source-file',
  setup(bundler) {
    bundler.onLoad({filter: /[/\\]dist[/\\].*\.js$/}, (args) => {
      if (!args.path.startsWith(dist + path.sep)) return undefined
      const source = readFileSync(args.path, 'utf8')
      if (!source.includes('import.meta.url')) return undefined
      const fromBundle = JSON.stringify(path.relative(dist, args.path).split(path.sep).join('/'))
      return {
        contents: source.replaceAll('import.meta.url', `require('node:url').pathToFileURL(require('node:path').join(__dirname, ${fromBundle})).href`),
        loader: 'js',
      }
    })
  },
}

/** jsonc-parser's `main` is a UMD build whose `require('./impl/format')` esbuild cannot follow; its ES build is equivalent. */
const jsoncParserEsm = {
  name: 'jsonc-parser-esm',
  setup(bundler) {
    bundler.onResolve({filter: /^jsonc-parser$/}, () => ({path: path.join(root, 'node_modules/jsonc-parser/lib/esm/main.js')}))
  },
}

/**
 * oclif sorts a plugin's commands with String#localeCompare on every start, and the first
 * localeCompare of a process builds an ICU collator: ≈ 5 ms of every command. Signet's command ids
 * are lower-case ASCII words joined by `-` and `:`, which code-unit order sorts the same way
 * (checked here on the real ids), so the bundled oclif compares code units. The build fails if
 * oclif's line changes, so an oclif upgrade cannot drop this silently.
 */
const OCLIF_COMMAND_SORT = '.sort((a, b) => a.id.localeCompare(b.id));'
const ids = commands.map(({id}) => id)
const byLocale = [...ids].sort((a, b) => a.localeCompare(b))
const byCodeUnit = [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
if (byLocale.join('\n') !== byCodeUnit.join('\n')) throw new Error(`command ids sort differently by locale and by code unit: ${byLocale.join(', ')}`)
const oclifCommandSortWithoutIcu = {
  name: 'oclif-command-sort-without-icu',
  setup(bundler) {
    bundler.onLoad({filter: /[/\\]@oclif[/\\]core[/\\]lib[/\\]config[/\\]plugin\.js$/}, (args) => {
      const source = readFileSync(args.path, 'utf8')
      if (!source.includes(OCLIF_COMMAND_SORT)) throw new Error(`${args.path} no longer has \`${OCLIF_COMMAND_SORT}\`: update scripts/bundle-cli.mjs`)
      return {contents: source.replace(OCLIF_COMMAND_SORT, '.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));'), loader: 'js'}
    })
  },
}

const result = await build({
  stdin: {contents: entry, resolveDir: dist, sourcefile: 'cli-entry.cjs', loader: 'js'},
  outfile: path.join(dist, 'cli.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // bin/run.js runs the bundle as a vm.Script (to reuse a V8 code cache), where import() needs a
  // loader callback that Node 20 drops when a code cache is used: `import()`s become `require()`s.
  // So no command may come from a plugin loaded at run time (src/commands/help.ts).
  supported: {'dynamic-import': false},
  external: EXTERNAL,
  plugins: [importMetaUrl, jsoncParserEsm, oclifCommandSortWithoutIcu],
  logLevel: 'warning',
  legalComments: 'none',
  // Every start reads, hashes and (on a cache miss) pre-parses the whole file: size is start-up time.
  // SIGNET_BUNDLE_DEBUG=1 keeps it readable, for --cpu-prof.
  minify: process.env.SIGNET_BUNDLE_DEBUG !== '1',
  // Minified names are not kept: keeping them wraps every function and class in a `name` setter
  // that also runs each time a closure is made (hono's and zod's per request, the ranker's per
  // recall): ≈ 2 % of the daemon's CPU under B4 and 100 KB of bundle (bench/README.md, "B4, seventh
  // pass"). Nothing reads them: Signet's errors set `name` themselves, and the constructor names
  // bundled libraries read are of built-ins (zod, hono) or in messages of code not used here.
  keepNames: false,
  charset: 'ascii',
  write: false,
})

// ASCII only, so bin/run.js can read the file as latin1, without UTF-8 decoding. esbuild escapes
// non-ASCII characters except inside regular expression literals; a \uXXXX escape means the same
// there (and in strings, templates and identifiers).
// Replaced one UTF-16 unit at a time: a surrogate pair of escapes means the same character too.
const code = result.outputFiles[0].text.replace(/[^\x00-\x7f]/g, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`)
// Written whole and renamed: a CLI started during a rebuild reads the old bundle or the new one.
const partial = `${result.outputFiles[0].path}.${process.pid}`
writeFileSync(partial, code)
renameSync(partial, result.outputFiles[0].path)
