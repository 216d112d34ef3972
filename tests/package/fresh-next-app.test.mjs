// The packed tarball in a fresh Next.js 16 App Router app, the way a user gets
// it: `npm pack`, a throwaway app in a temp dir (tests/package/fixture/) that
// depends on the tarball, `npm install`, `next build` (TypeScript-checked
// against the package's .d.ts), `next start` on 127.0.0.1 and the page in real
// Chromium: a Server Component imports the package, a client component ranks
// candidates with factors and tracks an event. Also prints the gzip size of
// what the page loads from the package (next_page_package_gzip_bytes=N).
// Run: npm run build && node --test tests/package/   (GRADVY_KEEP_FRESH_APP=1 keeps the temp app)
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { root, freePort } from '../js/helpers.mjs';
import { CHROMIUM } from '../browser/harness.mjs';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];
const VERSIONS = {
  next: '16.4.6', react: '19.3.1', 'react-dom': '19.3.1',
  typescript: '5.9.3', '@types/react': '19.3.0', '@types/react-dom': '19.3.0', '@types/node': '20.19.43',
};
// Strings that only the package's code carries into a bundle: the wasm
// module's Emscripten glue (the app has no other Emscripten module) and the JS
// wrapper (IndexedDB database and lock names). The wasm binary itself is a
// separate asset, recognised by its bytes.
const PACKAGE_MARKERS = ['both async and sync fetching of the wasm failed', 'gradvy-personalize:', 'gradvy:locks'];

const work = mkdtempSync(join(tmpdir(), 'gradvy-fresh-app-'));
let server = null;
after(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    const timer = setTimeout(() => server.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
  if (process.env.GRADVY_KEEP_FRESH_APP) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
});

function run(cmd, args, cwd, env = {}) {
  try {
    return execFileSync(cmd, args, {
      cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', ...env },
    });
  } catch (e) {
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${e.status}):\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

async function waitForHttp(url, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`next start exited ${child.exitCode}`);
    try {
      const res = await fetch(url);
      if (res.status < 500) return;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) throw new Error(`next start did not answer at ${url}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('the tarball installs, builds and runs in a fresh Next.js App Router app', { timeout: 20 * 60_000 }, async () => {
  // 1. The tarball, exactly what `npm publish` would upload (dist/ is built by the caller).
  assert.ok(existsSync(join(root, 'dist/index.js')), 'run `npm run build` first');
  const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], root));
  const tarball = join(work, packed[0].filename);
  const files = packed[0].files.map((f) => f.path);
  assert.ok(files.includes('dist/gradvy_core.mjs'), 'the wasm module glue is in the tarball');
  assert.ok(files.includes('dist/gradvy_core.wasm'), 'the wasm binary is in the tarball');
  assert.ok(files.includes('dist/react/index.d.ts'));
  assert.ok(!files.some((f) => f.startsWith('js/src') || f.startsWith('tests/') || f.startsWith('core/')), 'no sources or tests');

  // 2. The app: fixture files plus a package.json that depends on the tarball.
  const app = join(work, 'app');
  cpSync(join(root, 'tests/package/fixture'), app, { recursive: true });
  const { next, react, 'react-dom': reactDom, ...dev } = VERSIONS;
  writeFileSync(join(app, 'package.json'), JSON.stringify({
    name: 'fresh-app', private: true, type: 'module',
    dependencies: { next, react, 'react-dom': reactDom, '@gradvy/personalize': `file:${tarball}` },
    devDependencies: dev,
  }, null, 2));
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], app);
  run(process.execPath, [join(app, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.package-types.json'], app);
  const nextBin = join(app, 'node_modules/next/dist/bin/next');
  const build = run(process.execPath, [nextBin, 'build'], app);
  assert.match(build, /Compiled successfully|Finished TypeScript|Generating static pages/i, build);

  // 3. next start on loopback, the page in Chromium.
  const port = await freePort();
  server = spawn(process.execPath, [nextBin, 'start', '-p', String(port), '-H', '127.0.0.1'], {
    cwd: app, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
  });
  let serverLog = '';
  server.stdout.on('data', (d) => { serverLog += d; });
  server.stderr.on('data', (d) => { serverLog += d; });
  const origin = `http://127.0.0.1:${port}`;
  await waitForHttp(origin, server, 60_000);

  const profile = mkdtempSync(join(work, 'chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  try {
    // Counts wasm instantiations, so "the wasm loaded" is observed, not inferred.
    await context.addInitScript(() => {
      window.__wasmInstances = 0;
      for (const name of ['instantiate', 'instantiateStreaming']) {
        const original = WebAssembly[name];
        if (!original) continue;
        WebAssembly[name] = function (...args) {
          window.__wasmInstances++;
          return original.apply(this, args);
        };
      }
    });
    const page = await context.newPage();
    const problems = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()} (${m.location().url})`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    const scripts = new Set();
    const wasmResponses = [];
    page.on('response', (r) => {
      const path = new URL(r.url()).pathname;
      if (path.endsWith('.js')) scripts.add(path);
      if (path.endsWith('.wasm')) wasmResponses.push({ path, status: r.status(), type: r.headers()['content-type'] });
    });

    const response = await page.goto(origin);
    assert.equal(response.status(), 200);
    assert.equal(await page.getByTestId('server-import').textContent(), 'invalid_argument:65536',
      'the Server Component imported the package and rendered on the server');
    await page.getByTestId('rank-item').first().waitFor({ timeout: 30_000 });
    await page.waitForFunction(() => document.querySelector('[data-testid=tracked]')?.textContent !== 'pending', null, { timeout: 15_000 });
    // The tracked events warmed the profile; useRerank re-ranked on the profile change.
    await page.waitForFunction(() => document.querySelector('[data-testid=rank-source]')?.textContent === 'personalized', null, { timeout: 15_000 });

    const view = await page.evaluate(() => ({
      consent: document.querySelector('[data-testid=consent]').textContent,
      tracked: document.querySelector('[data-testid=tracked]').textContent,
      source: document.querySelector('[data-testid=rank-source]').textContent,
      wasmInstances: window.__wasmInstances,
      items: [...document.querySelectorAll('[data-testid=rank-item]')].map((li) => ({
        id: li.dataset.itemId,
        score: Number(li.dataset.score),
        factors: [...li.querySelectorAll('[data-testid=rank-factor]')].map((f) => ({ name: f.dataset.factor, value: Number(f.dataset.value) })),
      })),
    }));
    assert.equal(view.wasmInstances, 1, 'the wasm module was instantiated once');
    assert.equal(view.consent, 'essential,analytics,personalization');
    assert.equal(view.tracked, 'queued=true profiled=true');
    assert.equal(view.source, 'personalized');
    assert.equal(view.items.length, 5, 'limit 5 of 6 candidates');
    assert.equal(new Set(view.items.map((i) => i.id)).size, 5);
    for (const item of view.items) {
      assert.ok(item.factors.length >= 3, `${item.id} shows its factors`);
      const sum = item.factors.reduce((s, f) => s + f.value, 0);
      assert.ok(Math.abs(sum - item.score) < 1e-6, `${item.id}: factors sum to the score`);
    }
    assert.deepEqual(problems, [], 'no console errors or warnings');

    // 4. What the page loaded, by gzip size: all JS, the chunks that carry package code, and the wasm binary
    // (the bundler's copy of dist/gradvy_core.wasm, fetched once, served so that streaming compilation applies).
    assert.equal(wasmResponses.length, 1, `one wasm fetch (${JSON.stringify(wasmResponses)})`);
    const [wasmResponse] = wasmResponses;
    assert.equal(wasmResponse.status, 200);
    assert.equal(wasmResponse.type, 'application/wasm');
    assert.ok(wasmResponse.path.startsWith('/_next/'), wasmResponse.path);
    const wasmBytes = readFileSync(join(app, '.next', wasmResponse.path.slice('/_next/'.length)));
    assert.ok(wasmBytes.equals(readFileSync(join(root, 'dist/gradvy_core.wasm'))), 'the page fetched the package\'s wasm binary');
    const wasmGzip = gzipSync(wasmBytes, { level: 9 }).length;
    let pageGzip = wasmGzip;
    let packageGzip = wasmGzip;
    const packageChunks = [`${wasmResponse.path.split('/').at(-1)}:${wasmGzip}`];
    let glueLoaded = false;
    let channelLocksLoaded = false;
    for (const path of scripts) {
      if (!path.startsWith('/_next/')) continue;
      const text = readFileSync(join(app, '.next', path.slice('/_next/'.length)));
      const gz = gzipSync(text, { level: 9 }).length;
      pageGzip += gz;
      if (PACKAGE_MARKERS.some((m) => text.includes(m))) {
        packageGzip += gz;
        packageChunks.push(`${path.split('/').at(-1)}:${gz}`);
      }
      if (text.includes(PACKAGE_MARKERS[0])) glueLoaded = true;
      if (text.includes('gradvy:locks')) channelLocksLoaded = true;
    }
    assert.ok(packageChunks.length > 1, `a loaded chunk carries the package (${[...scripts].join(', ')})`);
    assert.ok(glueLoaded, 'the wasm module glue is among the loaded chunks');
    assert.equal(channelLocksLoaded, false, 'a browser with Web Locks does not load the BroadcastChannel lock fallback');
    console.log(`next_page_js_gzip_bytes=${pageGzip - wasmGzip}`);
    console.log(`next_page_wasm_gzip_bytes=${wasmGzip}`);
    console.log(`next_page_package_gzip_bytes=${packageGzip}`);
    console.log(`next_page_package_chunks=${packageChunks.join(',')}`);
    console.log(`next_static_chunks_total=${readdirSync(join(app, '.next/static/chunks')).length}`);
  } catch (e) {
    e.message += `\n--- next start log ---\n${serverLog}`;
    throw e;
  } finally {
    await context.close().catch(() => {});
  }
});
