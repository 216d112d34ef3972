// Benchmark of the npm package in headless Chromium (real page, dist/ as users
// import it): main-thread cost of track() over 20,000 calls, of rerank() on
// 1,000 candidates x 64 dims (top 20; first call packs and copies, later calls
// reuse the cached set), and the gzip size of what a page loads from the package.
// Prints `name=value unit` lines; never fails on time.
// Run: npm run build && node tests/bench/browser_package.mjs
// Another package build: GRADVY_DIST_DIR=build/<dir> (tsc --outDir plus its
// gradvy_core.mjs and gradvy_core.d.mts), e.g. for an A/B against dist/.
// GRADVY_BENCH_PARTS=track skips persist, rerank and sizes (quicker A/B runs).
// On a busy machine wall-clock rates swing with the other processes; the
// *_cpu_* lines divide by the page main thread's CPU time over the same calls
// (the thread timestamps of performance.mark trace events), which mostly do not.
// browser_binding_track_*: the wasm binding alone, the module's Engine.track against
// the package's WasmTrack (UTF-8 in reused wasm memory), same page, alternating.
import { existsSync, readFileSync } from 'node:fs';
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

/** Runs fn in the page while tracing performance.mark events; returns its result and
 *  cpuMs(mark) = the page main thread's CPU time at that mark (ms; NaN if the trace has none). */
async function withThreadTimes(page, fn, arg) {
  const cdp = await page.context().newCDPSession(page);
  const events = [];
  cdp.on('Tracing.dataCollected', (e) => events.push(...e.value));
  const complete = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
  await cdp.send('Tracing.start', { traceConfig: { includedCategories: ['blink.user_timing'] }, transferMode: 'ReportEvents' });
  const result = await page.evaluate(fn, arg);
  await cdp.send('Tracing.end');
  await complete;
  await cdp.detach();
  const cpuMs = (name) => (events.find((e) => e.name === name)?.tts ?? NaN) / 1000;
  return { result, cpuMs };
}

const stack = await startStack();
const browser = await launch();
try {
  const page = await openPage(browser.context, stack.origin, 'bench-user', {
    config: { queue: { max_events: 50_000, max_bytes: 64 * 1024 * 1024, max_age_ms: 3_600_000, batch_size: 1000 } },
    options: { autoFlush: false },
  });
  await page.evaluate(() => window.gradvy.setConsent({ analytics: true, personalization: true }));

  const { result: track, cpuMs: trackCpuMs } = await withThreadTimes(page, () => {
    const p = window.gradvy;
    const actions = ['view', 'enroll', 'progress', 'complete'];
    const n = 20_000;
    // The first 20,000 calls include V8's tier-up of the JS and wasm code (a page
    // tracking a few events pays this); the next 20,000 are the steady state.
    performance.mark('gradvy-cold');
    const c0 = performance.now();
    for (let i = 0; i < n; i++) p.track('course_interaction', { course_id: `warm-${i % 300}`, action: actions[i & 3] });
    const coldMs = performance.now() - c0;
    performance.mark('gradvy-steady');
    const t0 = performance.now();
    for (let i = 0; i < n; i++) p.track('course_interaction', { course_id: `c-${i % 500}`, action: actions[i & 3] });
    const ms = performance.now() - t0;
    performance.mark('gradvy-end');
    return { n, ms, coldMs, queued: p.stats().queued };
  });
  const coldCpuMs = trackCpuMs('gradvy-steady') - trackCpuMs('gradvy-cold');
  const cpuMs = trackCpuMs('gradvy-end') - trackCpuMs('gradvy-steady');
  console.log(`browser_track_events_per_s=${Math.round(track.n / (track.ms / 1000))} events/s`);
  console.log(`browser_track_20000_ms=${track.ms.toFixed(1)} ms`);
  console.log(`browser_track_first_20000_events_per_s=${Math.round(track.n / (track.coldMs / 1000))} events/s`);
  if (cpuMs > 0 && coldCpuMs > 0) {
    console.log(`browser_track_cpu_events_per_s=${Math.round(track.n / (cpuMs / 1000))} events/s`);
    console.log(`browser_track_first_20000_cpu_events_per_s=${Math.round(track.n / (coldCpuMs / 1000))} events/s`);
  } else {
    console.log('# no thread timestamps in the trace: *_cpu_* lines skipped');
  }

  if (process.env.GRADVY_BENCH_PARTS !== 'track') {
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
    // A build with the wasm binary beside the glue (not SINGLE_FILE): a second file, compressed on its own.
    const binaryFile = join(distDir, 'gradvy_core.wasm');
    const binaryGzip = existsSync(binaryFile) ? gzipSync(readFileSync(binaryFile), { level: 9 }).length : 0;
    if (binaryGzip) console.log(`package_wasm_binary_gzip_bytes=${binaryGzip} bytes`);
    console.log(`package_total_gzip_bytes=${gzipSync(Buffer.concat([js, wasm, react]), { level: 9 }).length + binaryGzip} bytes`);
  }

  // The binding alone (engines of its own, no package code; last, so the figures above stay
  // comparable), main-thread CPU per call: the module's Engine.track against the package's WasmTrack
  // (the _gradvy_track export), alternating blocks of 5,000 calls after 20,000 warm-up calls each.
  const binding = await withThreadTimes(page, async () => {
    const { default: createGradvyCore } = await import('/dist/gradvy_core.mjs');
    const { WasmTrack } = await import('/dist/wasm-track.js').catch(() => ({}));
    const core = await createGradvyCore();
    const config = JSON.stringify({ user_id: 'bench-user', queue: { max_events: 100_000, max_bytes: 64 * 1024 * 1024, max_age_ms: 3_600_000, batch_size: 1000 } });
    const engine = () => {
      const e = core.createEngine(config, '5eed').value;
      e.setConsent('{"analytics":true,"personalization":true}', Date.now());
      return e;
    };
    const actions = ['view', 'enroll', 'progress', 'complete'];
    const ctx = JSON.stringify({ page_url: location.origin + location.pathname, locale: navigator.language });
    const props = (i) => JSON.stringify({ course_id: `c-${i % 500}`, action: actions[i & 3] });
    const method = engine();
    const paths = { method: (i) => method.track('course_interaction', props(i), ctx, Date.now()) };
    if (WasmTrack && core._gradvy_track) {
      const buffer = new WasmTrack(core, engine());
      paths.buffer = (i) => buffer.track('course_interaction', props(i), ctx, Date.now());
    }
    for (const call of Object.values(paths)) for (let i = 0; i < 20_000; i++) call(i);
    const blocks = [];
    for (let round = 0; round < 4; round++) {
      for (const [name, call] of Object.entries(paths)) {
        const mark = `${name}-${round}`;
        performance.mark(`${mark}-a`);
        for (let i = 0; i < 5_000; i++) call(i);
        performance.mark(`${mark}-b`);
        blocks.push([name, mark]);
      }
    }
    return blocks;
  });
  const perCallUs = {};
  for (const [name, mark] of binding.result) (perCallUs[name] ??= []).push((binding.cpuMs(`${mark}-b`) - binding.cpuMs(`${mark}-a`)) * 1000 / 5_000);
  for (const [name, us] of Object.entries(perCallUs)) {
    const median = us.sort((a, b) => a - b)[us.length >> 1];
    if (Number.isFinite(median)) console.log(`browser_binding_track_${name}_cpu_us_per_call=${median.toFixed(2)} us`);
  }
} finally {
  await browser.close();
  await stack.stop();
}
