// Browser test harness: a real gradvy-sync, a tiny Node server on 127.0.0.1
// that serves the test pages and dist/ and forwards /v1/* to gradvy-sync (the
// same-origin setup of a Next.js app with a rewrite; it can also answer 503 for
// a while), and real Chromium through playwright-core with a fresh profile.
import { createServer, request } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { chromium } from 'playwright-core';
import { root, distDir, startSync } from '../js/helpers.mjs';

export const CHROMIUM = process.env.GRADVY_CHROMIUM || '/usr/lib/chromium/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];
const pagesDir = join(root, 'tests/browser/pages');
const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.html': 'text/html', '.json': 'application/json', '.wasm': 'application/wasm' };

/** Starts gradvy-sync + the page server. fault.fail(n, status, retryAfter) makes the next n /v1/batch answers fail. */
export async function startStack() {
  const sync = await startSync();
  const fault = { remaining: 0, status: 503, retryAfter: '1', answered: 0 };
  const counts = { batchRequests: 0, batchFailedByProxy: 0 };
  // Every /v1/* exchange (time, method, path, bytes, status, first event ids), for failure reports.
  const exchanges = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/__token') {
      sync.tokenAsync(url.searchParams.get('user')).then((token) => {
        res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-store' });
        res.end(token);
      }, (error) => { res.writeHead(500); res.end(String(error)); });
      return;
    }
    if (url.pathname.startsWith('/v1/')) {
      if (url.pathname === '/v1/batch') counts.batchRequests++;
      const exchange = { at: Date.now(), method: req.method, path: url.pathname, bytes: 0, status: null, ids: [] };
      exchanges.push(exchange);
      const chunks = [];
      req.on('data', (c) => { chunks.push(c); exchange.bytes += c.length; });
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        exchange.ids = [...body.matchAll(/"id":"([^"]+)"/g)].map((m) => m[1]);
      });
      res.on('finish', () => { exchange.status = res.statusCode; });
      res.on('close', () => { if (exchange.status === null) exchange.status = 'closed'; });
      if (url.pathname === '/v1/batch' && fault.remaining > 0) {
        fault.remaining--;
        counts.batchFailedByProxy++;
        req.resume();
        res.writeHead(fault.status, { 'Content-Type': 'application/json', 'Retry-After': fault.retryAfter });
        res.end(JSON.stringify({ error: { code: 'unavailable', message: 'test: server unavailable' } }));
        return;
      }
      const upstream = request({ host: '127.0.0.1', port: sync.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode, up.headers);
        up.pipe(res);
      });
      upstream.on('error', () => { res.writeHead(502); res.end(); });
      req.pipe(upstream);
      return;
    }
    let file;
    if (url.pathname.startsWith('/dist/')) file = join(distDir, normalize(url.pathname.slice(6)));
    else file = join(pagesDir, normalize(url.pathname === '/' ? 'index.html' : url.pathname.slice(1)));
    if (!file.startsWith(distDir) && !file.startsWith(pagesDir)) { res.writeHead(403); res.end(); return; }
    if (!existsSync(file)) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-store' });
    res.end(readFileSync(file));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    sync, origin, fault, counts, exchanges,
    async stop() {
      server.closeAllConnections?.();
      await new Promise((r) => server.close(r));
      await sync.stop();
    },
  };
}

/** A Chromium with a fresh profile directory; close() removes it. */
export async function launch() {
  const profile = mkdtempSync(join(tmpdir(), 'gradvy-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Opens the test page for `user` with engine config; waits until window.gradvy is ready. */
export async function openPage(context, origin, user, settings = {}) {
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('[page error]', e.message));
  await page.goto(pageUrl(origin, user, settings));
  await ready(page);
  return page;
}

/** The test page's URL; tokenDelayMs makes its getToken() slow. */
export function pageUrl(origin, user, { config = {}, options = {}, tokenDelayMs = 0 } = {}) {
  const q = new URLSearchParams({ user, config: JSON.stringify(config), options: JSON.stringify(options) });
  if (tokenDelayMs) q.set('tokenDelayMs', String(tokenDelayMs));
  return `${origin}/personalizer.html?${q}`;
}

export async function ready(page) {
  await page.waitForFunction(() => window.gradvyReady === true || window.gradvyError, null, { timeout: 20_000 });
  const error = await page.evaluate(() => window.gradvyError);
  if (error) throw new Error(`personalizer failed to start: ${error}`);
}

/** Polls fn until it returns a truthy value or the time is up; returns the last value. */
export async function waitFor(fn, timeoutMs = 15_000, everyMs = 200) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last || Date.now() > deadline) return last;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
