// Rerank 1,000 candidates x 64 dims, top 20 with MMR (diversity 0.6), through
// the public wasm binding in Node, next to the straightforward TypeScript
// implementation (tests/bench/rerank_reference.ts, compiled by tsc to
// build/bench-ts/) in the same process. Prints `name=value unit` lines.
// Wall-clock medians: on an oversubscribed machine they include waiting for a core.
//   GRADVY_WASM_MODULE=build/<dir>/gradvy_core.mjs node tests/bench/wasm_rerank.mjs
import { pathToFileURL, fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const modulePath = process.env.GRADVY_WASM_MODULE ?? path.join(root, 'build/wasm-release/gradvy_core.mjs');
const { default: createGradvyCore } = await import(pathToFileURL(modulePath).href);
const { rerankReference } = await import(pathToFileURL(path.join(root, 'build/bench-ts/rerank_reference.js')).href);
const core = await createGradvyCore();

const N = 1000, D = 64, NOW = 1_763_800_000_000;
let x = 7;
const rand = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
const topics = ['python', 'design', 'data', 'web', 'math', 'ml', 'writing', 'cloud'];
const items = [];
const emb = new Float32Array(N * D);
for (let i = 0; i < N; i++) {
  items.push({
    id: `course-${i}`, topics: [topics[i % 8], topics[(i * 3) % 8]], difficulty: 1 + (i % 3),
    rating: 3 + (i % 5) * 0.4, rating_count: 5 + (i % 200), popularity: 1 + ((i * 7919) % 5000),
    content_type: i % 4 ? 'video' : 'article', duration_minutes: 30 + (i % 600),
    published_at: NOW - (i % 720) * 86_400_000,
  });
  for (let k = 0; k < D; k++) emb[i * D + k] = rand();
}

const created = core.createEngine('', '0badc0de');
const engine = created.value;
engine.setConsent('{"personalization":true}', NOW);
engine.setPreferences('{"goals":["python","data"],"weekly_minutes":180}');
for (let i = 0; i < 12; i++) {
  engine.track('course_interaction', JSON.stringify({ course_id: `course-${i * 37}`, action: i % 3 ? 'complete' : 'enroll' }), '', NOW + i);
}
const ptr = core._malloc(emb.length * 4);
core.HEAPF32.set(emb, ptr >> 2);
const set = engine.setCandidates(JSON.stringify(items), ptr, N, D);
core._free(ptr);
if (!set.ok) throw new Error(JSON.stringify(set));

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
function time(fn, reps) {
  for (let i = 0; i < Math.min(50, reps); i++) fn();  // warm up (JIT, caches)
  const samples = [];
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(samples);
}

{
  // The hot path: typed-array views (indices, scores, factors), no JSON.
  const options = '{"limit":20,"diversity":0.6}';
  const check = engine.rerankInto(options, NOW + 1000);
  if (!check.ok || check.value.count !== 20 || check.value.source !== 'personalized') throw new Error('rerankInto');
  const ms = time(() => engine.rerankInto(options, NOW + 1000), 3000);
  console.log(`wasm_rerank_1000x64_top20_median_ms=${ms.toFixed(4)} ms`);
}
for (const explain of [false, true]) {
  const options = JSON.stringify({ limit: 20, diversity: 0.6, explain });
  const check = engine.rerank(options, NOW + 1000);
  if (!check.ok || check.value.source !== 'personalized' || check.value.items.length !== 20) {
    throw new Error(JSON.stringify(check).slice(0, 300));
  }
  const ms = time(() => engine.rerank(options, NOW + 1000), 2000);
  console.log(`wasm_rerank_json_1000x64_top20_${explain ? 'explain' : 'plain'}_median_ms=${ms.toFixed(4)} ms`);
}

// The TypeScript version gets the same inputs in plain JS form.
const profile = {
  goals: ['python', 'data'], preferredContentTypes: [], interest: [], thumbsDown: [], level: 0, stretch: 0.5,
  weeklyMinutes: 180, completed: new Set(), dismissed: new Set(), topicAffinity: new Map(), typeAffinity: new Map(),
};
{
  // Interest vector as the profile would have it: normalized sum of the touched rows.
  const v = new Array(D).fill(0);
  for (let i = 0; i < 12; i++) {
    const r = i * 37;
    let norm = 0;
    for (let k = 0; k < D; k++) norm += emb[r * D + k] ** 2;
    for (let k = 0; k < D; k++) v[k] += emb[r * D + k] / Math.sqrt(norm);
    if (i % 3) profile.completed.add(`course-${r}`);
  }
  const n = Math.sqrt(v.reduce((s, a) => s + a * a, 0));
  profile.interest = v.map((a) => a / n);
  profile.level = 1.5;
}
const weights = [0.2, 0.3, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.5];
for (const explain of [false, true]) {
  const opt = { limit: 20, diversity: 0.6, explain, weights, poolFactor: 10, poolMin: 100 };
  const out = rerankReference(items, emb, D, profile, opt, NOW + 1000);
  if (out.length !== 20) throw new Error('reference returned ' + out.length);
  const ms = time(() => rerankReference(items, emb, D, profile, opt, NOW + 1000), 200);
  console.log(`ts_reference_rerank_1000x64_top20_${explain ? 'explain' : 'plain'}_median_ms=${ms.toFixed(4)} ms`);
}
const wasmPlain = time(() => engine.rerankInto('{"limit":20,"diversity":0.6}', NOW + 1000), 3000);
const tsPlain = time(() => rerankReference(items, emb, D, profile,
  { limit: 20, diversity: 0.6, explain: false, weights, poolFactor: 10, poolMin: 100 }, NOW + 1000), 200);
console.log(`wasm_vs_ts_rerank_speedup=${(tsPlain / wasmPlain).toFixed(1)} x`);
engine.delete();
