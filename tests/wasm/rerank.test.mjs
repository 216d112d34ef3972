// Candidates and rerank through the binding: embeddings cross as one
// Float32Array copied into the wasm heap; errors carry the same codes as the
// native tests (tests/core/test_engine.cpp, EngineRanking.*).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { loadCore } from './load-core.mjs';

let core;
before(async () => {
  core = await loadCore();
});

const T0 = 1_763_800_000_000;

function catalogue(n, d, seed = 1) {
  let x = seed;
  const rand = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
  const items = [];
  const emb = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    items.push({
      id: `c${i}`, topics: [i % 2 ? 'python' : 'design'], difficulty: 1 + (i % 3),
      rating: 3 + (i % 5) * 0.4, rating_count: 10 + i, popularity: 100 * (n - i), content_type: 'video',
    });
    for (let k = 0; k < d; k++) emb[i * d + k] = rand();
  }
  return { items, emb, n, d };
}

// What the npm package does: one _malloc, one copy, one call, one _free.
function setCandidates(engine, items, emb, d) {
  const bytes = Math.max(4, emb.length * 4);
  const ptr = core._malloc(bytes);
  try {
    core.HEAPF32.set(emb, ptr >> 2);  // read HEAPF32 after _malloc: memory may have grown
    return engine.setCandidates(JSON.stringify(items), ptr, items.length, d);
  } finally {
    core._free(ptr);
  }
}

function withEngine(fn) {
  const created = core.createEngine('', 'abcdef');
  assert.equal(created.ok, true);
  try { return fn(created.value); } finally { created.value.delete(); }
}

test('rerank with Float32Array embeddings: fallback, then personalized with factors that sum to the score', () => withEngine((e) => {
  const { items, emb, d } = catalogue(300, 32);
  assert.deepEqual(setCandidates(e, items, emb, d), { ok: true, value: { count: 300, dimension: 32 } });
  const fallback = e.rerank('{"limit":10}', T0);
  assert.equal(fallback.ok, true, JSON.stringify(fallback));
  assert.equal(fallback.value.source, 'fallback');
  assert.equal(typeof fallback.value.reason, 'string');
  assert.equal(fallback.value.items.length, 10);
  assert.equal(typeof fallback.value.algorithm_version, 'string');

  e.setConsent('{"personalization":true}', T0);
  for (let i = 1; i < 12; i += 2) {
    assert.equal(e.track('course_interaction', JSON.stringify({ course_id: `c${i}`, action: 'complete' }), '', T0 + i), core.TRACK_PROFILED);
  }
  const ranked = e.rerank('{"limit":20,"diversity":0.6,"explain":true}', T0 + 100);
  assert.equal(ranked.ok, true, JSON.stringify(ranked));
  assert.equal(ranked.value.source, 'personalized');
  assert.equal(ranked.value.items.length, 20);
  for (const item of ranked.value.items) {
    const sum = item.factors.reduce((s, f) => s + f.value, 0);
    assert.ok(Math.abs(sum - item.score) < 1e-9, `${item.id}: ${sum} vs ${item.score}`);
    assert.equal(items[item.index].id, item.id);
    assert.notEqual(item.id, 'c1', 'completed items are filtered');
  }
  assert.ok(ranked.value.items.some((item) => item.factors.some((f) => typeof f.detail === 'string')));
  const quiet = e.rerank('{"limit":20,"explain":false}', T0 + 100);
  assert.ok(quiet.value.items.every((item) => item.factors.every((f) => f.detail === undefined)));

  const top = ranked.value.items[0].id;
  assert.deepEqual(e.feedback(top, 'dismissed', '', T0 + 101), { ok: true, value: { queued: true, profiled: true } });
  const next = e.rerank('{"limit":20}', T0 + 102);
  assert.ok(next.value.items.every((item) => item.id !== top), 'a dismissed item never returns');
}));

test('rerank bounds: empty, too many, dimension mismatch, NaN, duplicate ids, no candidates', () => withEngine((e) => {
  const limits = core.limits();
  assert.equal(e.rerank('{}', T0).code, 'invalid_state');

  const empty = setCandidates(e, [], new Float32Array(0), 8);
  assert.equal(empty.ok, false);
  assert.equal(empty.code, 'empty_input');

  const big = catalogue(limits.max_candidates + 1, 1);
  assert.equal(setCandidates(e, big.items, big.emb, 1).code, 'limit_exceeded');

  const small = catalogue(10, 8);
  const mismatch = e.setCandidates(JSON.stringify(small.items), 0, 9, 8);
  assert.equal(mismatch.code, 'dimension_mismatch');
  assert.match(mismatch.message, /9/);

  const nan = small.emb.slice();
  nan[17] = Number.NaN;
  assert.equal(setCandidates(e, small.items, nan, 8).code, 'non_finite');
  const inf = small.emb.slice();
  inf[3] = Number.POSITIVE_INFINITY;
  assert.equal(setCandidates(e, small.items, inf, 8).code, 'non_finite');

  const dup = small.items.map((c) => ({ ...c }));
  dup[3].id = 'c1';
  const duplicate = setCandidates(e, dup, small.emb, 8);
  assert.equal(duplicate.code, 'duplicate_id');
  assert.match(duplicate.message, /c1/);

  assert.equal(setCandidates(e, small.items, new Float32Array(10 * (limits.max_dimension + 1)), limits.max_dimension + 1).code, 'limit_exceeded');
  assert.equal(e.setCandidates('not json', 0, 0, 0).code, 'invalid_json');

  assert.equal(setCandidates(e, small.items, small.emb, 8).ok, true);
  assert.equal(e.rerank('{"diversity":7}', T0).code, 'invalid_argument');
  assert.equal(e.rerank('{', T0).code, 'invalid_json');
  assert.equal(e.lastError().code, 'invalid_json');
}));

test('variant assignment is stable and its exposure is queued under analytics', () => withEngine((e) => {
  e.identify('learner-42');
  const first = e.variant('onboarding', '{"control":1,"new":1}', T0);
  assert.equal(first.ok, true, JSON.stringify(first));
  assert.equal(first.value.exposure_queued, false, 'no analytics consent');
  e.setConsent('{"analytics":true}', T0);
  const second = e.variant('onboarding', '{"control":1,"new":1}', T0 + 1);
  assert.equal(second.value.variant, first.value.variant);
  assert.equal(second.value.exposure_queued, true);
  const body = JSON.parse(e.takeBatch(T0 + 2, true).body);
  assert.equal(body.events[0].type, 'experiment_exposure');
  assert.equal(body.events[0].props.variant, first.value.variant);
  assert.equal(e.variant('onboarding', '[]', T0).code, 'invalid_argument');
}));

test('rerankInto gives the same ranking as typed arrays, with factors in factorNames() order', () => withEngine((e) => {
  const { items, emb, d } = catalogue(500, 16, 3);
  assert.equal(setCandidates(e, items, emb, d).ok, true);
  e.setConsent('{"personalization":true}', T0);
  for (let i = 0; i < 8; i++) e.track('course_interaction', JSON.stringify({ course_id: `c${i * 7}`, action: 'complete' }), '', T0 + i);
  const json = e.rerank('{"limit":15}', T0 + 50).value;
  const view = e.rerankInto('{"limit":15}', T0 + 50);
  assert.equal(view.ok, true);
  const v = view.value;
  assert.equal(v.count, 15);
  assert.equal(v.source, json.source);
  assert.ok(v.indices instanceof Uint32Array && v.scores instanceof Float64Array && v.factors instanceof Float64Array);
  const names = core.factorNames();
  assert.equal(v.factors.length, 15 * names.length);
  json.items.forEach((item, i) => {
    assert.equal(v.indices[i], item.index);
    assert.equal(v.scores[i], item.score);
    item.factors.forEach((f, k) => {
      assert.equal(names[k], f.name);
      assert.equal(v.factors[i * names.length + k], f.value);
    });
  });
  assert.equal(e.rerankInto('{"limit":0}', T0).ok, false);
}));
