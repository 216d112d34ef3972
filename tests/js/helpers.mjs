// Shared helpers of the Node and browser suites: paths of the built parts and
// a real gradvy-sync on a free 127.0.0.1 port with a temp SQLite database.
import { spawn, execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
// GRADVY_DIST_DIR: test or benchmark a package build other than the shared dist/.
export const distDir = resolve(root, process.env.GRADVY_DIST_DIR || 'dist');
export const syncBinary = resolve(root, process.env.GRADVY_SYNC_BINARY || 'build/native-release/server-stub/gradvy-sync');
export const catalogFile = join(root, 'tests/server/fixtures/catalog.json');

export function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolvePort(port));
    });
  });
}

/** Starts gradvy-sync serve; returns {url, token(user), stop(), dir}. */
export async function startSync({ extraArgs = [] } = {}) {
  if (!existsSync(syncBinary)) {
    throw new Error(`gradvy-sync not found at ${syncBinary}: build native-release or set GRADVY_SYNC_BINARY`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'gradvy-js-'));
  const secretFile = join(dir, 'secret');
  writeFileSync(secretFile, randomBytes(32).toString('hex'));
  const port = await freePort();
  const args = ['serve', '--listen', `127.0.0.1:${port}`, '--db', `sqlite:${join(dir, 'sync.db')}`,
    '--catalog', catalogFile, '--secret-file', secretFile, '--log-level', 'warn', '--rate-limit', '0', ...extraArgs];
  const child = spawn(syncBinary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`gradvy-sync exited ${child.exitCode}: ${stderr}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`gradvy-sync did not become healthy: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const tokenArgs = (user, ttl) => ['token', '--user', user, '--ttl', ttl, '--secret-file', secretFile];
  const token = (user, ttl = '1h') => execFileSync(syncBinary, tokenArgs(user, ttl), { encoding: 'utf8' }).trim();
  // For servers that must keep answering other requests meanwhile (the browser harness).
  const tokenAsync = (user, ttl = '1h') => new Promise((resolve, reject) => {
    execFile(syncBinary, tokenArgs(user, ttl), { encoding: 'utf8' }, (error, out) => (error ? reject(error) : resolve(out.trim())));
  });
  const api = async (user, method, path, body) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token(user)}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  /** Ids of the learner's events stored on the server (GET /v1/me/export). */
  const storedEventIds = async (user) => {
    const res = await api(user, 'GET', '/v1/me/export');
    if (res.status !== 200) throw new Error(`export: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    return (res.body.events ?? []).map((e) => e.id ?? e.event_id ?? e.event?.id);
  };
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 8000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { url, port, token, tokenAsync, api, storedEventIds, stop, dir, stderr: () => stderr };
}
