// The processes the demo e2e tests run against: a real gradvy-sync (temp SQLite
// db and secret, the demo catalog) and the real production build of the demo
// (`next start` over the build in GRADVY_DEMO_DIST_DIR), both on free
// 127.0.0.1 ports. Every process started here is stopped by PID in stop(),
// and on process exit if a test run dies before that.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { root, syncBinary, freePort } from '../../js/helpers.mjs';

export const demoDir = join(root, 'demo');
export const demoDistDir = process.env.GRADVY_DEMO_DIST_DIR || '.next-e2e';
const nextBin = join(demoDir, 'node_modules/next/dist/bin/next');
const demoCatalog = join(demoDir, 'catalog.json');
const fixtureCatalog = join(root, 'tests/server/fixtures/catalog.json');
const buildCommand = `GRADVY_DEMO_DIST_DIR=${demoDistDir} bash scripts/demo-build.sh`;

const running = new Set();
const tempDirs = new Set();
process.on('exit', () => {
  for (const child of running) killTree(child, 'SIGKILL');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});
// A runner stopped by a signal does not emit 'exit' on its own: exit so the servers go too.
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));

/** Signals the child's process group (spawned detached, so next's workers go too), else the child. */
function killTree(child, signal) {
  try { process.kill(-child.pid, signal); } catch { try { child.kill(signal); } catch { /* gone */ } }
}

function startProcess(command, args, options) {
  const child = spawn(command, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  const keep = (d) => { output = (output + d).slice(-20_000); };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.once('exit', () => running.delete(child));
  return { child, output: () => output };
}

async function stopProcess(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  killTree(child, 'SIGTERM');
  const timer = setTimeout(() => killTree(child, 'SIGKILL'), 8000);
  await exited;
  clearTimeout(timer);
}

async function waitHttp(url, proc, name, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`${name} exited ${proc.child.exitCode}:\n${proc.output()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) throw new Error(`${name} did not answer ${url} within ${timeoutMs} ms:\n${proc.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Newest mtime of the demo's own sources (what a build depends on besides the package). */
function newestDemoSource() {
  let newest = 0;
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  for (const name of ['app', 'components', 'lib']) if (existsSync(join(demoDir, name))) walk(join(demoDir, name));
  for (const name of ['next.config.mjs', 'package.json', 'tsconfig.json']) {
    if (existsSync(join(demoDir, name))) newest = Math.max(newest, statSync(join(demoDir, name)).mtimeMs);
  }
  return newest;
}

/**
 * Makes sure demo/<GRADVY_DEMO_DIST_DIR> holds a production build of the current sources:
 * builds once via scripts/demo-build.sh when it is missing or older than a demo source.
 */
export function ensureDemoBuild() {
  const buildId = join(demoDir, demoDistDir, 'BUILD_ID');
  const fresh = existsSync(buildId) && existsSync(nextBin) && statSync(buildId).mtimeMs >= newestDemoSource();
  if (fresh) return;
  if (!existsSync(join(root, 'scripts/demo-build.sh'))) {
    throw new Error(`no demo build in demo/${demoDistDir} and scripts/demo-build.sh is missing; build it with: ${buildCommand}`);
  }
  process.stderr.write(`e2e: building the demo (${buildCommand})\n`);
  const result = spawnSync('bash', ['scripts/demo-build.sh'], {
    cwd: root,
    env: { ...process.env, GRADVY_DEMO_DIST_DIR: demoDistDir, NEXT_TELEMETRY_DISABLED: '1' },
    stdio: ['ignore', process.stderr, process.stderr],
  });
  if (result.status !== 0 || !existsSync(buildId)) {
    throw new Error(`demo build failed (exit ${result.status}); run it by hand to see why: ${buildCommand}`);
  }
}

/** gradvy-sync serve with a temp db + secret; exportFor(user) reads GET /v1/me/export as that learner. */
export async function startSync() {
  if (!existsSync(syncBinary)) {
    throw new Error(`gradvy-sync not found at ${syncBinary}: build native-release or set GRADVY_SYNC_BINARY`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'gradvy-e2e-'));
  tempDirs.add(dir);
  const secretFile = join(dir, 'secret');
  writeFileSync(secretFile, randomBytes(32).toString('hex'));
  const catalog = existsSync(demoCatalog) ? demoCatalog : fixtureCatalog;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = startProcess(syncBinary, ['serve', '--listen', `127.0.0.1:${port}`, '--db', `sqlite:${join(dir, 'sync.db')}`,
    '--catalog', catalog, '--secret-file', secretFile, '--rate-limit', '0', '--log-level', 'warn'], { cwd: root });
  try {
    await waitHttp(`${url}/healthz`, proc, 'gradvy-sync', 20_000);
  } catch (e) {
    await stopProcess(proc.child);
    rmSync(dir, { recursive: true, force: true });
    tempDirs.delete(dir);
    throw e;
  }
  const token = (user) =>
    execFileSync(syncBinary, ['token', '--user', user, '--ttl', '5m', '--secret-file', secretFile], { encoding: 'utf8' }).trim();
  /** Everything the server stores about `user` ({events, batches, consent, aggregates}). */
  const exportFor = async (user) => {
    const res = await fetch(`${url}/v1/me/export`, { headers: { Authorization: `Bearer ${token(user)}` } });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`GET /v1/me/export for ${user}: HTTP ${res.status} ${text}`);
    return JSON.parse(text);
  };
  return {
    url, secretFile, catalog, exportFor, output: proc.output,
    async stop() {
      await stopProcess(proc.child);
      rmSync(dir, { recursive: true, force: true });
      tempDirs.delete(dir);
    },
  };
}

/** `next start` of the demo build, pointed at `sync`. */
export async function startDemo(sync) {
  if (!existsSync(nextBin)) throw new Error(`${nextBin} is missing; build the demo with: ${buildCommand}`);
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const proc = startProcess(process.execPath, [nextBin, 'start', '-H', '127.0.0.1', '-p', String(port)], {
    cwd: demoDir,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      NEXT_TELEMETRY_DISABLED: '1',
      GRADVY_SYNC_URL: sync.url,
      GRADVY_SECRET_FILE: sync.secretFile,
      GRADVY_DEMO_DIST_DIR: demoDistDir,
    },
  });
  try {
    await waitHttp(`${origin}/`, proc, 'next start', 60_000);
  } catch (e) {
    await stopProcess(proc.child);
    throw e;
  }
  return { origin, output: proc.output, stop: () => stopProcess(proc.child) };
}

/** Both servers; stop() stops whatever was started, demo first. */
export async function startStack() {
  ensureDemoBuild();
  const sync = await startSync();
  let demo;
  try {
    demo = await startDemo(sync);
  } catch (e) {
    await sync.stop();
    throw e;
  }
  return {
    sync, demo, origin: demo.origin, exportFor: sync.exportFor,
    async stop() {
      await demo.stop().catch(() => {});
      await sync.stop();
    },
  };
}
