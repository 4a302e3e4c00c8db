// Lint for src/ and test/. The layering below is the one docs/architecture.md describes; a new
// import that crosses it fails `npm run check`. Known exceptions are listed by file, each with why.
import js from '@eslint/js'
import importX from 'eslint-plugin-import-x'
import {createTypeScriptImportResolver} from 'eslint-import-resolver-typescript'
import tseslint from 'typescript-eslint'

const layer = (name) => `./src/${name}`

/** Every layer rule: which directories (target) must not import which (from). */
const ZONES = [
  {target: [layer('commands'), layer('hooks')], from: layer('store'), message: 'Commands and hooks reach storage only through the daemon API.'},
  {
    target: layer('store'),
    from: ['daemon', 'hooks', 'connectors', 'commands', 'client'].map(layer),
    message: 'The store is the bottom layer: it must not import HTTP, hook, harness or CLI code.',
  },
  {target: layer('connectors'), from: [layer('store'), layer('daemon')], message: 'Connectors edit harness files and talk to the daemon over HTTP only.'},
  {
    target: layer('harnesses'),
    from: [
      'cli',
      'client',
      'commands',
      'config',
      'connectors',
      'credentials',
      'daemon',
      'diagnostics',
      'forge',
      'hooks',
      'import',
      'mcp',
      'service',
      'setup',
      'store',
      'ui',
    ].map(layer),
    message: 'Harness profiles are plain data every layer reads (the hook on every prompt): they import nothing else from Signet.',
  },
  {target: layer('client'), from: [layer('daemon'), layer('store')], message: 'The client speaks HTTP; it must not link the daemon or the store.'},
  {
    // The storage seam (docs/architecture.md, "Storage"): routes and the rest of the daemon call
    // daemon.storage's repositories and never hold a database handle, SQL or a transaction. Opening
    // the storage is STORAGE_OPENERS' job alone.
    target: layer('daemon'),
    from: ['./src/store/db.ts', layer('store/sqlite'), layer('store/postgres')],
    message: 'The daemon reaches storage only through daemon.storage (src/store/storage.ts); only src/daemon/server.ts opens it.',
  },
  {
    // The API contract is shared by the daemon and every client: plain schemas, below both.
    target: layer('api'),
    from: ['daemon', 'client', 'commands', 'hooks', 'connectors', 'mcp', 'cli', 'ui', 'setup', 'diagnostics', 'service', 'dashboard'].map(layer),
    message: 'The API contract (src/api) is plain schemas shared by the daemon and its clients; it imports neither.',
  },
  {
    target: layer('api'),
    from: layer('store'),
    // The role and permission vocabulary is the store's (keys persist it): constants, no I/O.
    except: ['./roles.ts'],
    message: "The API contract names the store's role vocabulary (src/store/roles.ts) and nothing else of the store.",
  },
  {
    // Opening the database belongs to the daemon (and the store that implements it).
    target: [
      'cli',
      'client',
      'commands',
      'config',
      'connectors',
      'credentials',
      'diagnostics',
      'forge',
      'hooks',
      'import',
      'mcp',
      'service',
      'setup',
      'ui',
    ].map(layer),
    from: './src/store/db.ts',
    message: 'Only the daemon opens the database; go through the daemon API.',
  },
]

/**
 * Files that still cross a layer, each with the exact modules it may still import across and why.
 * Remove an entry when the file is fixed; never add one for new code. Any other crossing from these
 * files still fails.
 */
const LAYER_ALLOWLIST = [
  // Session-end extraction parses transcripts with the hook's transcript parser (and its wrapper
  // stripping); the parser belongs below both and moves with the harness profiles.
  {files: ['src/store/memory-extraction.ts'], imports: ['src/hooks/transcript-format.ts']},
  // The skip-reason wording (`source list`), which names the store's limits (1 MB a file, 20,000 files a
  // source); it moves to the API contract once the store takes those limits from there.
  {files: ['src/commands/source/list.ts'], imports: ['src/store/sources.ts']},
]

/**
 * Where the daemon opens its storage: the server at start, and the daemon launcher's read-only
 * check that the file is not from a newer Signet. Not exceptions to fix — the seam's one door.
 */
const STORAGE_OPENERS = {files: ['src/daemon/server.ts', 'src/daemon/process.ts'], imports: ['src/store/sqlite', 'src/store/postgres']}

/** ZONES with one zone per `from`, and the allowed imports carved out as exceptions (or the zone dropped). */
function zonesRule(allowed = []) {
  const zones = ZONES.flatMap((zone) => [zone.from].flat().map((from) => ({...zone, from})))
    .map((zone) => {
      const base = zone.from.replace(/^\.\//, '')
      if (allowed.includes(base)) return undefined
      const except = allowed.filter((file) => file.startsWith(`${base}/`)).map((file) => `./${file.slice(base.length + 1)}`)
      return except.length > 0 ? {...zone, except} : zone
    })
    .filter(Boolean)
  return ['error', {zones}]
}

export default tseslint.config(
  // assets/ is data (word vectors) except the plugin sources connectors install, which are linted below.
  {ignores: ['dist/**', 'node_modules/**', 'src/dashboard/**', 'assets/**/*', '!assets/plugins/', '!assets/plugins/**/*', 'bench/**', 'coverage/**']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: {'import-x': importX},
    // Resolves `./x.js` specifiers to the `./x.ts` sources, so the zones see every import.
    settings: {'import-x/resolver-next': [createTypeScriptImportResolver({project: './tsconfig.check.json'})]},
    rules: {
      'import-x/no-restricted-paths': zonesRule(),
      // Only the store and the daemon load the SQLite driver; anything else reads through the daemon.
      'no-restricted-imports': ['error', {paths: [{name: 'better-sqlite3', message: 'Only the storage backends in src/store open SQLite.'}]}],
      // `_name` marks a deliberately unused binding (a destructured-away field, a positional argument).
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true}],
    },
  },
  ...[...LAYER_ALLOWLIST, STORAGE_OPENERS].map(({files, imports}) => ({files, rules: {'import-x/no-restricted-paths': zonesRule(imports)}})),
  {
    // Tests read untyped JSON answers; `any` there is a test convenience, not an API shape. src/ has none.
    files: ['test/**/*.ts'],
    // Tests match ANSI escapes (\x1b) on purpose: they check colour codes in CLI output.
    rules: {'@typescript-eslint/no-explicit-any': 'off', 'no-control-regex': 'off'},
  },
  {
    // Profiles are loaded by the hook before every model call: node:path and each other, no packages.
    files: ['src/harnesses/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {patterns: [{regex: '^(?!node:|\\.{1,2}/)', message: 'Harness profiles import only node: built-ins and each other.'}]},
      ],
    },
  },
  {
    // Plugin sources run inside the harnesses (Node or Bun), not in Signet: ES modules with Node's
    // globals, and SIGNET_INSTALL, the placeholder the connector replaces with the values it records
    // (src/connectors/plugin-assets.ts).
    files: ['assets/plugins/**/*.{js,mjs}'],
    languageOptions: {
      sourceType: 'module',
      globals: {process: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', SIGNET_INSTALL: 'readonly'},
    },
  },
  {
    // The daemon does not load the driver either: its storage backend (src/store/sqlite) does.
    files: ['src/store/**/*.ts', 'test/**/*.ts', 'bench/**', 'scripts/**'],
    rules: {'no-restricted-imports': 'off'},
  },
  {
    // A read-only open of another file: `signet import` reads a claude-mem database (not Signet's).
    files: ['src/import/claude-mem.ts'],
    rules: {'no-restricted-imports': 'off'},
  },
)
