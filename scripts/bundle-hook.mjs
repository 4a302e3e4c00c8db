#!/usr/bin/env node
// Bundles the hook (dist/hooks/cli.js and what it imports) into one CommonJS file, dist/hook.cjs,
// which bin/run.js loads for `signet hook …`. The prompt hook runs before every model call
// (B1 in bench/README.md): loading ~20 ES modules costs Node 20's ESM loader ~10 ms of resolving,
// async file reads and linking per prompt; one CommonJS file is read and compiled in one step.
// Runs after tsc, so the bundle is made of exactly the code tsc checked.
import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {build, transform} from 'esbuild'

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'))
const {version} = pkg
/** Packages compiled into the hook bundle: @noble/hashes for project ids without loading node:crypto. */
const BUNDLED = ['@noble/hashes']

/** dist/version.js reads package.json through import.meta.url, which CommonJS lacks: inline the value. */
const inlineVersion = {
  name: 'inline-signet-version',
  setup(bundler) {
    bundler.onResolve({filter: /\/version\.js$/}, (args) => ({path: path.join(args.resolveDir, args.path), namespace: 'signet-version'}))
    bundler.onLoad({filter: /.*/, namespace: 'signet-version'}, () => ({
      contents: `export const SIGNET_VERSION = ${JSON.stringify(version)}`,
      loader: 'js',
    }))
  },
}

const hookBundle = path.join(root, 'dist/hook.cjs')
const result = await build({
  entryPoints: [path.join(root, 'dist/hooks/cli.js')],
  outfile: hookBundle,
  write: false,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // Lazy `import()`s become `require()`s: bin/run.js runs the bundle as a vm.Script (to reuse a V8 code
  // cache), where import() would need Node's experimental vm loader hooks.
  supported: {'dynamic-import': false},
  // Packages stay out of the hook (each one is start-up cost on every prompt), except those listed
  // in BUNDLED, which are small, pure JS and compiled into the bundle.
  external: Object.keys({...pkg.dependencies, ...pkg.optionalDependencies}).filter((name) => !BUNDLED.includes(name)),
  plugins: [inlineVersion],
  logLevel: 'warning',
  metafile: true,
})

// The output's imports, after tree shaking (an input may import a package in code the hook never uses).
const external = Object.values(result.metafile.outputs)
  .flatMap((output) => output.imports)
  .filter((entry) => entry.external && !entry.path.startsWith('node:'))
  .map((entry) => entry.path)
if (external.length > 0) {
  console.error(`bundle-hook: the hook imports packages (${[...new Set(external)].join(', ')}); keep it to node: builtins and the packages in BUNDLED`)
  process.exit(1)
}

/*
 * The hook runs in a young generation of 1 MiB, and V8 schedules a scavenge once about four fifths
 * of it are in use; on a loaded machine that one collection (its helper threads wait for a core)
 * cost the prompt hook as much as its request to the daemon (bench/README.md, issue 19 fourth pass). Node's own start-up uses
 * ~300 KiB of it, so the bundle is made to allocate little at load:
 * - esbuild gives each module that default-imports a builtin (`import path from 'node:path'`) a
 *   namespace copy with a getter per export (19 copies of node:path alone, ~100 KiB together): one
 *   copy per builtin serves them all, as ES modules share one namespace object per module;
 * - minified, the source string V8 keeps on the heap is half the size;
 * - the file holds the CommonJS function wrapper itself, so bin/run.js compiles it as read instead
 *   of concatenating a wrapped copy (Module.wrap) that V8 flattens into a second string.
 */
const TO_ESM_HELPER = 'var __toESM = (mod, isNodeMode, target) => ('
const bundled = result.outputFiles[0].text
if (!bundled.includes(TO_ESM_HELPER)) {
  console.error(`bundle-hook: esbuild's __toESM helper has changed (no "${TO_ESM_HELPER}"); update the one-namespace-per-builtin patch`)
  process.exit(1)
}
const oneNamespacePerModule = bundled.replace(
  TO_ESM_HELPER,
  `var __toESMCache = new Map();
var __toESM = (mod, isNodeMode) => {
  const key = isNodeMode ? 1 : 0;
  let byMode = __toESMCache.get(mod);
  if (!byMode) __toESMCache.set(mod, (byMode = []));
  return (byMode[key] ??= __toESMCopy(mod, isNodeMode));
};
var __toESMCopy = (mod, isNodeMode, target) => (`,
)
const {code: minified} = await transform(oneNamespacePerModule, {minify: true, format: 'cjs', platform: 'node', target: 'node20', logLevel: 'warning'})

// ASCII only, so bin/run.js can read the bundle as latin1, without UTF-8 decoding: esbuild escapes
// non-ASCII characters except inside regular expression literals, where a \uXXXX escape (one per
// UTF-16 unit) means the same.
const ascii = minified.replace(/[^\x00-\x7f]/g, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`)
// The same wrapper as Module.wrap, which bin/run.js recognises (COMMONJS_WRAPPER there).
writeFileSync(hookBundle, `(function (exports, require, module, __filename, __dirname) { ${ascii}\n});\n`)
