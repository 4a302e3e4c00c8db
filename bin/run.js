#!/usr/bin/env node
// CommonJS on purpose (bin/package.json): Node 20 starts a CommonJS entry without setting up the
// ES module loader, which the prompt hook would otherwise pay for on every model call.
// Hot paths skip oclif:
// - `signet hook …` runs before every model call (B1 in bench/README.md) and loads one bundled file;
// - `signet mcp` is spawned by harnesses that wait on its handshake;
// - `signet --version` is typed by people (B5).
// Everything else, including `--help` for these, goes to oclif.
const path = require('node:path')

/** FNV-1a of a string, base 36: a short file-name-safe id, without loading node:crypto. */
function shortHash(text) {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193)
  return (hash >>> 0).toString(36)
}

/** Node options that load a module first and do not change what V8 compiles: they do not key the cache. */
const PRELOAD_FLAGS = new Set(['--require', '-r', '--import'])

/**
 * Which caches are this process's: the installation (two installs of signet for one user, a global
 * one and a checkout say, keep a cache each instead of deleting each other's on every run) and the
 * node flags it runs with. V8 rejects a cache written under other flags, and the daemon runs with
 * its own (src/daemon/memory-settings.ts): sharing one file, the daemon and the CLI would each throw the
 * other's away.
 */
function cachePrefix(name, bundlePath) {
  const v8Flags = process.execArgv.filter(
    (arg, index, all) => !PRELOAD_FLAGS.has(arg) && !PRELOAD_FLAGS.has(all[index - 1]) && !/^--(require|import)=/.test(arg),
  )
  const flags = v8Flags.length > 0 ? `~${shortHash(v8Flags.join(' '))}` : ''
  return `${name}-${shortHash(bundlePath)}${flags}-`
}

/** Module.wrap's prefix: a bundle that starts with it (scripts/bundle-hook.mjs writes one) is compiled as read. */
const COMMONJS_WRAPPER = '(function (exports, require, module, __filename, __dirname) { '

/**
 * Loads a bundle from dist/ (hook.cjs, cli.cjs) with a V8 code cache kept in the user's cache
 * directory: compiling the hook bundle costs ~5 ms per prompt, reusing the machine code from the
 * previous run ~1 ms; the CLI bundle is larger and gains more. The cache is keyed by the bundle's
 * name, size and mtime, by the Node version and by the node flags (V8 rejects a mismatched cache
 * anyway), written after the first run so it holds the functions that run actually used, and
 * replaced atomically. With `register`, the bundle goes in require's cache under its path, so a
 * later `require()` of the same file (oclif loads its commands from dist/cli.cjs by path) gets this
 * instance. `command` names a cache of its own for one command (see commandCacheName). Any problem
 * with the cache means a load without one: it is only ever a speed-up.
 */
function loadBundle(name, {register = false, command} = {}) {
  const fs = require('node:fs')
  const bundlePath = path.join(__dirname, '..', 'dist', `${name}.cjs`)
  // The bundles are ASCII (scripts/bundle-*.mjs): latin1 skips UTF-8 decoding of megabytes.
  const source = fs.readFileSync(bundlePath, 'latin1')
  let buildStamp
  let cacheFile
  let cachedData
  try {
    const stat = fs.statSync(bundlePath)
    const cacheBase =
      process.env.XDG_CACHE_HOME && path.isAbsolute(process.env.XDG_CACHE_HOME) ? process.env.XDG_CACHE_HOME : path.join(require('node:os').homedir(), '.cache')
    buildStamp = `${stat.size}-${Math.trunc(stat.mtimeMs)}-${process.version}-${process.arch}.v8cache`
    cacheFile = path.join(cacheBase, 'signet', `${cachePrefix(name, bundlePath)}${command ? `${command}.` : ''}${buildStamp}`)
    cachedData = fs.readFileSync(cacheFile)
  } catch {}
  const vm = require('node:vm')
  // The CommonJS loader's Module class, as `require('node:module')` exports it, without loading that
  // public module: it brings the ES module loader with it (≈ 0.25 ms per prompt, bench/README.md).
  const Module = module.constructor
  const script = new vm.Script(source.startsWith(COMMONJS_WRAPPER) ? source : Module.wrap(source), {filename: bundlePath, cachedData})
  const bundle = new Module(bundlePath, module)
  bundle.filename = bundlePath
  bundle.paths = Module._nodeModulePaths(path.dirname(bundlePath))
  if (register) require.cache[bundlePath] = bundle
  try {
    script.runInThisContext().call(bundle.exports, bundle.exports, Module.createRequire(bundlePath), bundle, bundlePath, path.dirname(bundlePath))
  } catch (error) {
    if (register) delete require.cache[bundlePath]
    throw error
  }
  bundle.loaded = true
  if (cacheFile !== undefined && (cachedData === undefined || script.cachedDataRejected)) {
    process.once('exit', () => {
      try {
        fs.mkdirSync(path.dirname(cacheFile), {recursive: true})
        const partial = `${cacheFile}.${process.pid}`
        fs.writeFileSync(partial, script.createCachedData())
        fs.renameSync(partial, cacheFile)
        // Caches of earlier builds or Node versions are never read again, nor are partial files a
        // killed writer left behind (older than a minute: a live writer renames within milliseconds).
        const dir = path.dirname(cacheFile)
        for (const entryName of fs.readdirSync(dir)) {
          // This install's caches of other builds under the same flags (the other commands' caches
          // of this build stay), and caches named before install ids (`hook-<size>-<mtime>-v…`).
          const ours = entryName.startsWith(cachePrefix(name, bundlePath)) || new RegExp(`^${name}-\\d+-\\d+-v`).test(entryName)
          const thisBuild = entryName.endsWith(`-${buildStamp}`) || entryName.endsWith(`.${buildStamp}`)
          if (!ours || thisBuild) continue
          const entry = path.join(dir, entryName)
          if (entryName.endsWith('.v8cache') || (/\.v8cache\.\d+$/.test(entryName) && Date.now() - fs.statSync(entry).mtimeMs > 60_000))
            fs.rmSync(entry, {force: true})
        }
      } catch {}
    })
  }
  return bundle.exports
}

/**
 * The code cache a command line uses: its command's or topic's own (`status`, `connector`), else the
 * shared one (help, typos). V8 puts in a cache only the functions the run that wrote it compiled, so
 * one cache for every command held what the first command after an upgrade ran, and each other
 * command compiled the rest on every start (`status` after `daemon status`: ≈ 10 % more CPU, B5 in
 * bench/README.md). Only names of dist/commands entries count, so arguments never name a file.
 */
function commandCacheName(word) {
  if (!word || !/^[a-z][a-z0-9-]*$/.test(word)) return undefined
  const fs = require('node:fs')
  const commands = path.join(__dirname, '..', 'dist', 'commands')
  return fs.existsSync(path.join(commands, `${word}.js`)) || fs.existsSync(path.join(commands, word)) ? word : undefined
}

const argv = process.argv.slice(2)
const wantsHelp = argv.includes('--help') || argv.includes('-h')

function fail(error) {
  process.stderr.write(`${error?.stack ?? error}\n`)
  process.exitCode = 1
}

if (argv[0] === 'hook' && argv[1] && !argv[1].startsWith('-') && !wantsHelp) {
  let hookCli
  try {
    hookCli = loadBundle('hook')
    // A bundle of another build can load and still lack the entry point (one wrapped twice runs nothing).
    if (typeof hookCli.runHookCli !== 'function') throw new Error('dist/hook.cjs exports no runHookCli')
  } catch (error) {
    // Even a broken or half-upgraded install must not break the harness (docs/architecture.md, Hooks): one line, exit 0.
    process.stderr.write(`[signet] ${argv[1]}: hook unavailable (${String(error?.message ?? error).split('\n')[0]}) — reinstall signetai\n`)
    process.exit(0)
  }
  hookCli.runHookCli(argv.slice(1))
} else if (argv.length === 1 && argv[0] === 'mcp') {
  import('../dist/mcp/stdio.js').then(({runMcpStdioServer}) => runMcpStdioServer()).catch(fail)
} else if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  const {version} = require('../package.json')
  process.stdout.write(`signetai/${version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  // oclif's Node version check loads all of semver (47 files) on every start; npm already checks
  // `engines` at install.
  process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1'
  // Everything else runs from dist/cli.cjs (oclif, the commands and their packages in one file, see
  // scripts/bundle-cli.mjs): loading them file by file cost ~5 × a bare node start.
  // The package root, not bin/: oclif finds its root by the nearest package.json, and bin/ has one.
  let cli
  try {
    cli = loadBundle('cli', {register: true, command: commandCacheName(argv[0])})
  } catch (error) {
    fail(error)
  }
  cli?.execute({dir: path.join(__dirname, '..')}).catch(fail)
}
