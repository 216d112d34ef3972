// Benchmark of the npm package in headless Chromium (real page, dist/ as users
// import it): main-thread cost of track() over 20,000 calls, of rerank() on
// 1,000 candidates x 64 dims (top 20; first call packs and copies, later calls
// reuse the cached set), and the gzip size of what a page loads from the package.
// Prints `name=value unit` lines; never fails on time.
// Run: npm run build && node tests/bench/browser_package.mjs
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { dirname, join, normalize } from 'node:path';
import { startStack, launch, openPage } from '../browser/harness.mjs';
import { distDir } from '../js/helpers.mjs';

/** dist/ files reachable from `entry` through static relative imports (type-only imports are erased by tsc). */
function staticGraph(entry) {
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(join(distDir, file), 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\s[^;]*?from\s+["'](\.[^"']+)["']/gm)) visit(normalize(join(dirname(file), m[1])));
  };
  visit(entry);
  return [...seen];
}

const stack = await startStack();
const browser = await launch();
try {
  const page = await openPage(browser.context, stack.origin, 'bench-user', {
    config: { queue: { max_events: 50_000, max_bytes: 64 * 1024 * 1024, max_age_ms: 3_600_000, batch_size: 1000 } },
    options: { autoFlush: false },
  });
  await page.evaluate(() => window.gradvy.setConsent({ analytics: true, personalization: true }));

  const track = await page.evaluate(() => {
    const p = window.gradvy;
    const actions = ['view', 'enroll', 'progress', 'complete'];
    const n = 20_000;
    // The first 20,000 calls include V8's tier-up of the JS and wasm code (a page
    // tracking a few events pays this); the next 20,000 are the steady state.
    const c0 = performance.now();
    for (let i = 0; i < n; i++) p.track('course_interaction', { course_id: `warm-${i % 300}`, action: actions[i & 3] });
    const coldMs = performance.now() - c0;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) p.track('course_interaction', { course_id: `c-${i % 500}`, action: actions[i & 3] });
    const ms = performance.now() - t0;
    return { n, ms, coldMs, queued: p.stats().queued };
  });
  console.log(`browser_track_events_per_s=${Math.round(track.n / (track.ms / 1000))} events/s`);
  console.log(`browser_track_20000_ms=${track.ms.toFixed(1)} ms`);
  console.log(`browser_track_first_20000_events_per_s=${Math.round(track.n / (track.coldMs / 1000))} events/s`);

  const persist = await page.evaluate(async () => {
    const t0 = performance.now();
    await window.gradvy.persist();
    return performance.now() - t0;
  });
  console.log(`browser_persist_40000_events_ms=${persist.toFixed(1)} ms`);

  const rerank = await page.evaluate(() => {
    const p = window.gradvy;
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) * 2 - 1;
    const types = ['video', 'text', 'quiz', 'lab'];
    const make = () => Array.from({ length: 1000 }, (_, i) => ({
      id: `item-${i}`, topics: [`t${i % 40}`, `t${(i * 7) % 40}`], difficulty: 1 + (i % 3), rating: 3 + (i % 20) / 10,
      rating_count: 10 + i, free: i % 4 === 0, popularity: (i % 100) / 100, content_type: types[i % 4],
      duration_minutes: 30 + (i % 300), prerequisites: i > 10 && i % 5 === 0 ? [`item-${i - 10}`] : [], published_at: 1_700_000_000_000 + i,
      embedding: Array.from({ length: 64 }, rand),
    }));
    const firsts = [];
    for (let r = 0; r < 5; r++) {
      const list = make();
      const t0 = performance.now();
      p.rerank(list, { limit: 20 });
      firsts.push(performance.now() - t0);
    }
    const list = make();
    p.rerank(list, { limit: 20 });
    const cached = [];
    for (let r = 0; r < 30; r++) {
      const t0 = performance.now();
      p.rerank(list, { limit: 20 });
      cached.push(performance.now() - t0);
    }
    const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
    return { first: median(firsts), cached: median(cached) };
  });
  console.log(`browser_rerank_1000x64_new_list_median_ms=${rerank.first.toFixed(2)} ms`);
  console.log(`browser_rerank_1000x64_cached_median_ms=${rerank.cached.toFixed(2)} ms`);

  // What a page loads: the main entry's static module graph plus the wasm module (the React entry adds
  // react/index.js). The Next.js page number (bundled, minified) comes from tests/package/.
  const js = Buffer.concat(staticGraph('index.js').map((f) => readFileSync(join(distDir, f))));
  const wasm = readFileSync(join(distDir, 'gradvy_core.mjs'));
  const react = readFileSync(join(distDir, 'react/index.js'));
  console.log(`package_js_gzip_bytes=${gzipSync(js, { level: 9 }).length} bytes`);
  console.log(`package_wasm_module_raw_bytes=${wasm.length} bytes`);
  console.log(`package_wasm_module_gzip_bytes=${gzipSync(wasm, { level: 9 }).length} bytes`);
  console.log(`package_react_gzip_bytes=${gzipSync(react, { level: 9 }).length} bytes`);
  console.log(`package_total_gzip_bytes=${gzipSync(Buffer.concat([js, wasm, react]), { level: 9 }).length} bytes`);
} finally {
  await browser.close();
  await stack.stop();
}
