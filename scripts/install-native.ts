/**
 * Install the native TensorFlow backend (@tensorflow/tfjs-node), run as `postinstall`.
 *
 * tfjs-node's own install script downloads libtensorflow 2.9.1 from storage.googleapis.com,
 * which many machines (ours among them) cannot reach; package.json's `allowScripts` denies it,
 * and this script does the work instead, by the first route that works:
 *
 *   1. cached: the TensorFlow C library and a built addon from an earlier install
 *      (cache folder outside the tree, so a second `npm ci` takes seconds);
 *   2. wheel:  the C API from the `tensorflow-cpu` 2.21.0 wheel that pip serves (PyPI online,
 *      or a local index); tfjs-node 4.22.0's binding builds against it unchanged;
 *   3. google: tfjs-node's own download, if its host answers within a few seconds.
 *
 * If none works the install still succeeds: the project then runs on wasm, and the first run
 * says so (lib/engine/backend.ts). Nothing waits on an unreachable host for more than ~10 s.
 *
 * Environment: LLC_NATIVE=0 skips this script; LLC_CACHE_DIR moves the cache
 * (default $XDG_CACHE_HOME/llc-notebooks, else ~/.cache/llc-notebooks).
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as https from 'https';
import * as os from 'os';
import * as path from 'path';

const TFJS_NODE_VERSION = '4.22.0';
const TF_WHEEL = { name: 'tensorflow-cpu', version: '2.21.0' };
/** tfjs-node's install.js skips its download when this file exists in deps/lib. */
const TFJS_NODE_LIB_MARKER = 'libtensorflow.so.2.9.1';
const PROBE_TIMEOUT_MS = 4000;

const root = path.resolve(__dirname, '..');
const pkgDir = path.join(root, 'node_modules', '@tensorflow', 'tfjs-node');
const cacheRoot =
  process.env.LLC_CACHE_DIR ??
  path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'llc-notebooks');
const libDir = path.join(cacheRoot, `libtensorflow-${TF_WHEEL.version}`);
const addonCache = path.join(
  cacheRoot,
  `tfjs-node-${TFJS_NODE_VERSION}-tf${TF_WHEEL.version}-napi${process.versions.napi}`,
);

const log = (msg: string) => console.error(`[llc native] ${msg}`);

/** The folder tfjs-node loads its binding from (node-pre-gyp's own lookup: lib/napi-v<N>). */
function addonDir(): string {
  const preGyp = require(require.resolve('@mapbox/node-pre-gyp', { paths: [pkgDir] }));
  return path.dirname(preGyp.find(path.join(pkgDir, 'package.json')));
}

/** Does tfjs-node load and run an op in a fresh process? (Returns the error text otherwise.) */
function nativeWorks(): string | null {
  const r = spawnSync(process.execPath, ['-e', "const tf=require('@tensorflow/tfjs-node');tf.add(1,2).dataSync();"], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status === 0) return null;
  return (
    (r.stderr || r.stdout || `exit ${r.status}`)
      .trim()
      .split('\n')
      .filter((l) => /Error|error:/.test(l))[0] ?? `exit ${r.status}`
  );
}

/** Unpack the C library and headers from the wheel into `libDir` (atomically: a temp folder, then rename). */
function libraryFromWheel(): void {
  if (fs.existsSync(path.join(libDir, 'lib', TFJS_NODE_LIB_MARKER))) return;
  const python = ['python3', 'python'].find(
    (p) => spawnSync(p, ['-m', 'pip', '--version'], { stdio: 'ignore' }).status === 0,
  );
  if (python == null) throw new Error('no python with pip found (needed to fetch the tensorflow-cpu wheel)');
  const tmp = `${libDir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  try {
    log(`fetching ${TF_WHEEL.name}==${TF_WHEEL.version} with pip (its C library, not its Python package)…`);
    // Fixed tags: the C library is the same in every cp3x wheel, and pip must not try to build.
    // --retries 0 / --timeout: an unreachable index fails in seconds instead of retrying for minutes.
    const args = [
      '-m',
      'pip',
      'download',
      '--no-deps',
      '--retries',
      '0',
      '--timeout',
      '10',
      '--only-binary=:all:',
      '--platform',
      'manylinux_2_27_x86_64',
      '--python-version',
      '3.11',
      '--implementation',
      'cp',
      '-d',
      tmp,
      `${TF_WHEEL.name}==${TF_WHEEL.version}`,
    ];
    const r = spawnSync(python, args, { encoding: 'utf8', timeout: 20 * 60_000 });
    if (r.status !== 0) throw new Error(`pip download failed: ${(r.stderr || '').trim().split('\n').slice(-1)[0]}`);
    const wheel = fs.readdirSync(tmp).find((f) => f.endsWith('.whl'));
    if (wheel == null) throw new Error('pip download produced no wheel');
    log('unpacking libtensorflow_cc.so.2, libtensorflow_framework.so.2 and the C headers…');
    const unpack = `
import sys, zipfile, os, shutil
whl, out = sys.argv[1], sys.argv[2]
keep = lambda n: n.startswith('tensorflow/include/') and (n.startswith('tensorflow/include/tensorflow/c/') or '/platform/ctstring' in n or n.endswith('/tsl/c/tsl_status.h'))
with zipfile.ZipFile(whl) as z:
    for n in z.namelist():
        if n in ('tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2'):
            dest = os.path.join(out, 'lib', os.path.basename(n))
        elif keep(n) and not n.endswith('/'):
            dest = os.path.join(out, 'include', n[len('tensorflow/include/'):])
        else:
            continue
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with z.open(n) as src, open(dest, 'wb') as dst:
            shutil.copyfileobj(src, dst, 1 << 24)
`;
    execFileSync(python, ['-c', unpack, path.join(tmp, wheel), tmp], { stdio: 'inherit' });
    fs.rmSync(path.join(tmp, wheel));
    // The binding links -ltensorflow -ltensorflow_framework; the wheel splits the C API
    // between libtensorflow_cc (TFE_*, most TF_*) and libtensorflow_framework (TF_NewStatus, …).
    const lib = path.join(tmp, 'lib');
    fs.symlinkSync('libtensorflow_cc.so.2', path.join(lib, 'libtensorflow.so'));
    fs.symlinkSync('libtensorflow_framework.so.2', path.join(lib, 'libtensorflow_framework.so'));
    fs.symlinkSync('libtensorflow_cc.so.2', path.join(lib, TFJS_NODE_LIB_MARKER));
    fs.rmSync(libDir, { recursive: true, force: true });
    fs.renameSync(tmp, libDir);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Point tfjs-node's deps/ at the cached library and build its addon from source (~35 s). */
function buildAgainstCachedLibrary(): void {
  const deps = path.join(pkgDir, 'deps');
  fs.rmSync(deps, { recursive: true, force: true });
  fs.symlinkSync(libDir, deps);
  const cached = path.join(addonCache, 'tfjs_binding.node');
  const target = addonDir();
  if (fs.existsSync(cached)) {
    fs.mkdirSync(target, { recursive: true });
    fs.copyFileSync(cached, path.join(target, 'tfjs_binding.node'));
    return;
  }
  // "tf-lib" without "addon" makes tfjs-node's install.js build from source, and the
  // marker file in deps/lib makes it skip its download.
  fs.writeFileSync(
    path.join(pkgDir, 'scripts', 'custom-binary.json'),
    JSON.stringify({ 'tf-lib': `file://${libDir}` }),
  );
  log('building the tfjs-node addon against it (node-gyp, ~35 s)…');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: [path.join(root, 'node_modules', '.bin'), npmNodeGypBin(), process.env.PATH]
      .filter(Boolean)
      .join(path.delimiter),
  };
  // Build against this Node's own headers when they are installed (npm sets this for its own
  // lifecycle scripts from `npm config get nodedir`), so node-gyp does not download them.
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (env.npm_config_nodedir == null && fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')))
    env.npm_config_nodedir = prefix;
  const r = spawnSync(process.execPath, ['scripts/install.js'], {
    cwd: pkgDir,
    env,
    encoding: 'utf8',
    timeout: 15 * 60_000,
  });
  if (r.status !== 0 || !fs.existsSync(path.join(target, 'tfjs_binding.node'))) {
    throw new Error(`addon build failed: ${(r.stdout + r.stderr).trim().split('\n').slice(-3).join(' | ')}`);
  }
  fs.mkdirSync(addonCache, { recursive: true });
  fs.copyFileSync(path.join(target, 'tfjs_binding.node'), `${cached}.tmp`);
  fs.renameSync(`${cached}.tmp`, cached);
}

/** npm puts node-gyp on PATH for lifecycle scripts; outside npm, find npm's own copy. */
function npmNodeGypBin(): string | undefined {
  const candidates = [
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'node-gyp-bin'),
    '/usr/lib/node_modules/npm/bin/node-gyp-bin',
    '/usr/share/nodejs/npm/bin/node-gyp-bin',
  ];
  return candidates.find((c) => fs.existsSync(c));
}

/** Does tfjs-node's own download host answer? (HEAD, short timeout.) */
function googleReachable(): Promise<boolean> {
  return new Promise((resolve) => {
    const req = https.request(
      'https://storage.googleapis.com/tensorflow/libtensorflow/',
      { method: 'HEAD', timeout: PROBE_TIMEOUT_MS },
      () => resolve(true),
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
    req.end();
  });
}

async function main(): Promise<void> {
  if (process.env.LLC_NATIVE === '0') return log('LLC_NATIVE=0: skipped; the project runs on wasm');
  if (process.env.LLC_NATIVE != null && process.env.LLC_NATIVE !== '1')
    throw new Error(`LLC_NATIVE must be 0 or 1, got '${process.env.LLC_NATIVE}'`);
  if (!fs.existsSync(pkgDir)) return log('@tensorflow/tfjs-node is not in node_modules; the project runs on wasm');
  if (nativeWorks() == null) return log('tfjs-node already works');
  if (os.platform() !== 'linux' || os.arch() !== 'x64') {
    // Elsewhere tfjs-node's own install (prebuilt binaries for macOS/Windows) is the route.
    log(`${os.platform()}-${os.arch()}: running tfjs-node's own install script`);
    execFileSync(process.execPath, ['scripts/install.js'], { cwd: pkgDir, stdio: 'inherit' });
    return;
  }
  const failures: string[] = [];
  try {
    libraryFromWheel();
    buildAgainstCachedLibrary();
    const err = nativeWorks();
    if (err == null)
      return log(
        `native backend ready (TensorFlow ${TF_WHEEL.version} C API from the ${TF_WHEEL.name} wheel; cache ${cacheRoot})`,
      );
    failures.push(`wheel route: built, but loading failed: ${err}`);
  } catch (e) {
    failures.push(`wheel route: ${(e as Error).message}`);
  }
  if (await googleReachable()) {
    log("trying tfjs-node's own download (storage.googleapis.com)…");
    fs.rmSync(path.join(pkgDir, 'deps'), { recursive: true, force: true });
    fs.rmSync(path.join(pkgDir, 'scripts', 'custom-binary.json'), { force: true });
    const r = spawnSync(process.execPath, ['scripts/install.js'], {
      cwd: pkgDir,
      stdio: 'inherit',
      timeout: 20 * 60_000,
    });
    if (r.status === 0 && nativeWorks() == null) return log('native backend ready (tfjs-node prebuilt)');
    failures.push("google route: tfjs-node's install script failed");
  } else {
    failures.push(`google route: storage.googleapis.com did not answer within ${PROBE_TIMEOUT_MS / 1000} s`);
  }
  log(
    `native backend NOT installed; the project will run on wasm (slower). ${failures.join('; ')}. Retry with: npm run setup:native`,
  );
}

main().catch((e) => {
  // Never fail the install: wasm works everywhere.
  log(
    `native backend NOT installed (${(e as Error).message}); the project will run on wasm. Retry with: npm run setup:native`,
  );
});
