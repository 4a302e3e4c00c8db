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
  {target: layer('client'), from: [layer('daemon'), layer('store')], message: 'The client speaks HTTP; it must not link the daemon or the store.'},
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
    message: 'The API contract names the store\'s role vocabulary (src/store/roles.ts) and nothing else of the store.',
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
  // `signet embed status|backfill` open the database themselves (read-write, running migrations) next to
  // a live daemon; they move to the daemon API (a backfill route with progress) with the storage seam.
  {
    files: ['src/commands/embed/status.ts', 'src/commands/embed/backfill.ts'],
    imports: ['src/store/db.ts', 'src/store/embed/vector-index.ts', 'src/store/embed/indexer.ts', 'src/store/embed/providers.ts'],
  },
  // Session-end extraction parses transcripts with the hook's transcript parser (and its wrapper
  // stripping); the parser belongs below both and moves with the harness profiles.
  {files: ['src/store/memory-extraction.ts'], imports: ['src/hooks/transcript-format.ts']},
  // The skip-reason wording (`source list`), which names the store's limits (1 MB a file, 20,000 files a
  // source); it moves to the API contract once the store takes those limits from there.
  {files: ['src/commands/source/list.ts'], imports: ['src/store/sources.ts']},
  // `signet doctor` checks the database file read-only even when the daemon is down (or is what is broken).
  {files: ['src/diagnostics/db-integrity.ts'], imports: ['src/store/db.ts']},
]

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
  {ignores: ['dist/**', 'node_modules/**', 'src/dashboard/**', 'assets/**', 'bench/**', 'coverage/**']},
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
      'no-restricted-imports': ['error', {paths: [{name: 'better-sqlite3', message: 'Only src/store and src/daemon open SQLite.'}]}],
      // `_name` marks a deliberately unused binding (a destructured-away field, a positional argument).
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true}],
    },
  },
  ...LAYER_ALLOWLIST.map(({files, imports}) => ({files, rules: {'import-x/no-restricted-paths': zonesRule(imports)}})),
  {
    // Tests read untyped JSON answers; `any` there is a test convenience, not an API shape. src/ has none.
    files: ['test/**/*.ts'],
    // Tests match ANSI escapes (\x1b) on purpose: they check colour codes in CLI output.
    rules: {'@typescript-eslint/no-explicit-any': 'off', 'no-control-regex': 'off'},
  },
  {
    files: ['src/store/**/*.ts', 'src/daemon/**/*.ts', 'test/**/*.ts', 'bench/**', 'scripts/**'],
    rules: {'no-restricted-imports': 'off'},
  },
  {
    // Read-only opens of other files: `signet import` reads a claude-mem database (not Signet's), and
    // `signet doctor` checks Signet's file while the daemon may be down.
    files: ['src/import/claude-mem.ts', 'src/diagnostics/db-integrity.ts'],
    rules: {'no-restricted-imports': 'off'},
  },
)
