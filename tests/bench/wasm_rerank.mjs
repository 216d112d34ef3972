// Rerank 1,000 candidates x 64 dims, top 20 with the default options (MMR at
// diversity 0.6, similarity floor 0.9), through the public wasm binding in
// Node, next to the straightforward TypeScript implementation of the same
// algorithm (tests/bench/rerank_reference.ts, compiled by tsc to build/bench-ts/)
// in the same process, on the same candidates and profile. First checks that
// both rank alike (`ts_reference_matches_wasm=1`, else it throws with the first
// difference), then prints `name=value unit` lines.
// Wall-clock medians: on an oversubscribed machine they include waiting for a core.
//   node_modules/.bin/tsc -p tests/bench/tsconfig.rerank.json
//   GRADVY_WASM_MODULE=build/<dir>/gradvy_core.mjs node tests/bench/wasm_rerank.mjs
// (without GRADVY_WASM_MODULE: build/wasm-release/gradvy_core.mjs)
import { pathToFileURL, fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const modulePath = process.env.GRADVY_WASM_MODULE ?? path.join(root, 'build/wasm-release/gradvy_core.mjs');
const { default: createGradvyCore } = await import(pathToFileURL(modulePath).href);
const { rerankReference, defaultOptions } = await import(pathToFileURL(path.join(root, 'build/bench-ts/rerank_reference.js')).href);
const core = await createGradvyCore();

const N = 1000, D = 64, NOW = 1_763_800_000_000, DAY = 86_400_000, RANK_AT = NOW + 1000;
// The learner's activity: weeks-old work on some courses (the long-term
// interest, 30-day half-life) and the last few days on others (the short-term
// one, 3-day half-life).
const history = [  // [course row, action, days before NOW], oldest first
  [37, 'complete', 60], [74, 'complete', 45], [111, 'enroll', 40], [148, 'complete', 30],
  [185, 'progress', 25], [222, 'enroll', 20], [259, 'complete', 14], [296, 'view', 10],
  [333, 'enroll', 3], [370, 'progress', 2], [407, 'progress', 1], [444, 'view', 0.5],
];
// The row after each touched one is a near-duplicate of it (cosine ~0.98, as
// the same course in another format): relevant enough to reach the top, so
// MMR's near-duplicate penalty (similarity floor 0.9) has work to do.
const twinOf = new Map(history.map(([row]) => [row + 1, row]));
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
    published_at: NOW - (i % 720) * DAY,
  });
  const twin = twinOf.get(i);
  for (let k = 0; k < D; k++) emb[i * D + k] = twin === undefined ? rand() : emb[twin * D + k] + 0.15 * rand();
}

// A warm profile with two different interest vectors (see `history`), a
// thumbs-down and a dismissal.
const created = core.createEngine('', '0badc0de');
const engine = created.value;
engine.setConsent('{"personalization":true}', NOW - 90 * DAY);
engine.setPreferences('{"goals":["python","data"],"weekly_minutes":180}');
for (const [row, action, daysAgo] of history) {
  const bits = engine.track('course_interaction', JSON.stringify({ course_id: `course-${row}`, action }), '',
    NOW - daysAgo * DAY);
  if (bits < 0 || !(bits & core.TRACK_PROFILED)) throw new Error(`track: ${bits} ${JSON.stringify(engine.lastError())}`);
}
for (const [id, kind] of [['course-500', 'thumbs_down'], ['course-501', 'dismissed']]) {
  const fb = engine.feedback(id, kind, '', NOW - DAY);
  if (!fb.ok || !fb.value.profiled) throw new Error(`feedback: ${JSON.stringify(fb)}`);
}
const ptr = core._malloc(emb.length * 4);
core.HEAPF32.set(emb, ptr >> 2);
const set = engine.setCandidates(JSON.stringify(items), ptr, N, D);
core._free(ptr);
if (!set.ok) throw new Error(JSON.stringify(set));
const first = engine.rerank('{}', RANK_AT);  // caches the touched items' embeddings and metadata in the profile
if (!first.ok || first.value.source !== 'personalized') throw new Error(JSON.stringify(first).slice(0, 300));

// The TypeScript version gets the same profile in plain JS form, read from the
// engine's export: interest vectors composed as the core does (normalized sum of
// decayed weight x unit embedding; the export's weights are taken at RANK_AT,
// a common factor per vector that normalizing removes).
const view = engine.profile(RANK_AT);
const rowOfId = new Map(items.map((item, i) => [item.id, i]));
function unitRow(i) {
  const row = Array.from(emb.subarray(i * D, (i + 1) * D));
  const norm = Math.sqrt(row.reduce((s, a) => s + a * a, 0));
  return row.map((a) => a / norm);
}
function composeInterest(weightKey) {
  const acc = new Array(D).fill(0);
  for (const item of view.items) {
    const row = rowOfId.get(item.item_id);
    if (row === undefined || item[weightKey] === 0) continue;
    unitRow(row).forEach((a, k) => { acc[k] += item[weightKey] * a; });
  }
  const norm = Math.sqrt(acc.reduce((s, a) => s + a * a, 0));
  return norm > 1e-9 ? acc.map((a) => a / norm) : [];
}
const hasFlag = (flag) => new Set(view.items.filter((it) => it.flags.includes(flag)).map((it) => it.item_id));
const prefs = view.declared_preferences;
const profile = {
  personalized: true,
  goals: prefs.goals, preferredContentTypes: prefs.preferred_content_types, freeOnly: prefs.free_only,
  interest: composeInterest('weight_now'),
  recentInterest: composeInterest('short_term_weight_now'),
  // Most recent first; the export has no flag time, the last signal stands in (one item here).
  thumbsDown: view.items.filter((it) => it.flags.includes('thumbs_down') && rowOfId.has(it.item_id))
    .sort((a, b) => b.last_signal_at - a.last_signal_at).map((it) => unitRow(rowOfId.get(it.item_id))),
  level: view.level_estimate,
  stretch: { comfortable: 0, stretch: 0.5, challenge: 1 }[prefs.difficulty_preference],
  weeklyMinutes: prefs.weekly_minutes,
  completed: hasFlag('completed'), dismissed: hasFlag('dismissed'), thumbedDown: hasFlag('thumbs_down'),
  topicAffinity: new Map(view.topic_affinities.map((t) => [t.topic, t.affinity])),
  typeAffinity: new Map(view.insights.preferred_content_types.map((t) => [t.content_type, t.affinity])),
};
if (profile.interest.length !== D || profile.recentInterest.length !== D || profile.level <= 0) {
  throw new Error('profile: expected both interest vectors and a level estimate');
}
const cosine = profile.interest.reduce((s, a, k) => s + a * profile.recentInterest[k], 0);
console.log(`profile_long_vs_short_term_interest_cosine=${cosine.toFixed(3)}`);

// Correctness: the reference must rank exactly as the core does (ids in order,
// scores, factor values and details), or the timings compare different work.
function firstDifference(wasmItems, refItems) {
  if (wasmItems.length !== refItems.length) return `length ${wasmItems.length} vs ${refItems.length}`;
  const close = (a, b) => Math.abs(a - b) <= 1e-4;
  for (let r = 0; r < wasmItems.length; r++) {
    const [w, t] = [wasmItems[r], refItems[r]];
    if (w.id !== t.id) return `rank ${r}: id ${w.id} vs ${t.id}`;
    if (!close(w.score, t.score)) return `rank ${r} (${w.id}): score ${w.score} vs ${t.score}`;
    if ((w.reason ?? '') !== t.reason) return `rank ${r} (${w.id}): reason '${w.reason}' vs '${t.reason}'`;
    for (let f = 0; f < w.factors.length; f++) {
      const [wf, tf] = [w.factors[f], t.factors[f]];
      if (wf.name !== tf?.name || !close(wf.value, tf.value) || (wf.detail ?? '') !== (tf.detail ?? '')) {
        return `rank ${r} (${w.id}): factor ${JSON.stringify(wf)} vs ${JSON.stringify(tf)}`;
      }
    }
  }
  return null;
}
const checks = [  // [wasm options, reference options]; the defaults are the ones timed below
  [{}, defaultOptions()],
  [{ diversity: 0.3 }, { ...defaultOptions(), diversity: 0.3 }],  // the twins' penalty decides here
  [{ diversity_similarity_floor: 0 }, { ...defaultOptions(), similarityFloor: 0 }],  // plain MMR
  [{ diversity: 0, explain: false }, { ...defaultOptions(), diversity: 0, explain: false }],
];
for (const [wasmOptions, refOptions] of checks) {
  const wasm = engine.rerank(JSON.stringify(wasmOptions), RANK_AT);
  if (!wasm.ok) throw new Error(JSON.stringify(wasm));
  const diff = firstDifference(wasm.value.items, rerankReference(items, emb, D, profile, refOptions, RANK_AT));
  if (diff) throw new Error(`TypeScript reference differs from wasm with options ${JSON.stringify(wasmOptions)}: ${diff}`);
}
console.log('ts_reference_matches_wasm=1');

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

// Default options throughout: top 20, diversity 0.6, similarity floor 0.9.
{
  // The hot path: typed-array views (indices, scores, factors), no JSON.
  const check = engine.rerankInto('{}', RANK_AT);
  if (!check.ok || check.value.count !== 20 || check.value.source !== 'personalized') throw new Error('rerankInto');
  const ms = time(() => engine.rerankInto('{}', RANK_AT), 3000);
  console.log(`wasm_rerank_1000x64_top20_median_ms=${ms.toFixed(4)} ms`);
}
for (const explain of [false, true]) {
  const options = JSON.stringify({ explain });
  const check = engine.rerank(options, RANK_AT);
  if (!check.ok || check.value.source !== 'personalized' || check.value.items.length !== 20) {
    throw new Error(JSON.stringify(check).slice(0, 300));
  }
  const ms = time(() => engine.rerank(options, RANK_AT), 2000);
  console.log(`wasm_rerank_json_1000x64_top20_${explain ? 'explain' : 'plain'}_median_ms=${ms.toFixed(4)} ms`);
}
for (const explain of [false, true]) {
  const opt = { ...defaultOptions(), explain };
  const ms = time(() => rerankReference(items, emb, D, profile, opt, RANK_AT), 200);
  console.log(`ts_reference_rerank_1000x64_top20_${explain ? 'explain' : 'plain'}_median_ms=${ms.toFixed(4)} ms`);
}
// Back to back, so both see the same machine load.
const wasmPlain = time(() => engine.rerankInto('{}', RANK_AT), 3000);
const tsOptions = { ...defaultOptions(), explain: false };
const tsPlain = time(() => rerankReference(items, emb, D, profile, tsOptions, RANK_AT), 200);
console.log(`wasm_vs_ts_rerank_speedup=${(tsPlain / wasmPlain).toFixed(1)} x`);
engine.delete();
