// The module's `_gradvy_track` (what the npm package calls on every track()):
// UTF-8 the host wrote into wasm memory in, the same result, error and queued
// bytes as Engine.track() with the same strings. Two engines from one seed run
// side by side, one per path, and must stay identical.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { loadCore } from './load-core.mjs';

let core;
before(async () => {
  core = await loadCore();
});

const T0 = 1_763_800_000_000;
const SEED = '00112233445566778899aabbccddeeff';
const CONFIG = { device_id: 'dev-1', events: { custom_types: { x_note: 'analytics' } } };

/** Calls _gradvy_track with the three strings in freshly malloc'ed memory (TextEncoder, as a host would). */
function trackViaBuffer(engine, type, props, ctx, now) {
  const bytes = [type, props, ctx].map((s) => new TextEncoder().encode(s));
  const ptrs = bytes.map((b) => {
    const ptr = b.length ? core._malloc(b.length) : 0;
    core.HEAPU8.set(b, ptr);
    return ptr;
  });
  try {
    return core._gradvy_track(engine.address(), ptrs[0], bytes[0].length, ptrs[1], bytes[1].length, ptrs[2], bytes[2].length, now);
  } finally {
    for (const ptr of ptrs) if (ptr) core._free(ptr);
  }
}

/** Two engines from one seed: `method` uses Engine.track, `buffer` the export; track() runs both and compares. */
function pair(fn) {
  const make = () => {
    const created = core.createEngine(JSON.stringify(CONFIG), SEED);
    assert.equal(created.ok, true, JSON.stringify(created));
    created.value.setConsent('{"analytics":true,"personalization":true}', T0);
    return created.value;
  };
  const method = make();
  const buffer = make();
  let now = T0;
  const track = (type, props, ctx = '', at = ++now) => {
    const a = method.track(type, props, ctx, at);
    const b = trackViaBuffer(buffer, type, props, ctx, at);
    assert.equal(b, a, `same result for ${type} ${props.slice(0, 80)}`);
    if (a < 0) assert.deepEqual(buffer.lastError(), method.lastError());
    return { result: b, error: b < 0 ? buffer.lastError() : null };
  };
  const queuedBodies = () => {
    const a = method.takeBatch(now, true);
    const b = buffer.takeBatch(now, true);
    assert.equal(b?.body, a?.body, 'identical queued bytes');
    return b && JSON.parse(b.body).events;
  };
  const setConsent = (changes) => {
    now += 1;
    for (const e of [method, buffer]) assert.equal(e.setConsent(JSON.stringify(changes), now).ok, true);
  };
  try {
    fn({ track, queuedBodies, setConsent, buffer });
    assert.equal(buffer.snapshot(), method.snapshot(), 'identical state');
  } finally {
    method.delete();
    buffer.delete();
  }
}

test('non-ASCII props and context arrive byte-exact in the queued event', () => pair(({ track, queuedBodies }) => {
  const query = 'café é 😀 学习 Ünïcödé';
  const note = { text: '日本語のノート 🎓', 'ключ': 'значение' };
  assert.equal(track('search', JSON.stringify({ query, results_count: 2 }), JSON.stringify({ page_url: '/suche/über', locale: 'de-DE' })).result, 3);
  assert.equal(track('x_note', JSON.stringify(note)).result, 3);
  const events = queuedBodies();
  assert.equal(events[0].props.query, query);
  assert.equal(events[0].ctx.page_url, '/suche/über');
  assert.deepEqual(events[1].props, note);
}));

test('the result and error code match Engine.track for refusals and drops', () => pair(({ track, setConsent, buffer }) => {
  assert.equal(track('quiz_attempt', '{"score":12,"total_questions":10,"time_taken":30}').error.code, 'invalid_event');
  assert.equal(track('course_interaction', '{"course_id":').error.code, 'invalid_json');
  assert.equal(track('no_such_type', '{}').error.code, 'invalid_event');
  // Over the 32 KiB per-event bound (strings of a custom type are at most 4096 B each).
  const big = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, 'é'.repeat(2000)]));
  assert.equal(track('x_note', JSON.stringify(big)).error.code, 'event_too_large');
  // Lone surrogates: JSON.stringify escapes them, so both paths see the same ASCII text.
  const lone = track('x_note', JSON.stringify({ text: 'a\uD800b' }));
  assert.ok(lone.result === 3 || lone.error.code === 'invalid_json' || lone.error.code === 'invalid_event', JSON.stringify(lone));
  assert.equal(track('page_view', '{}', '', Number.NaN).error.code, 'invalid_argument');
  assert.equal(track('page_view', '').result, 3, 'empty props (length 0, pointer 0) mean {}');
  assert.equal(buffer.stats().dropped.too_large, 1);
  // Withdrawn consent: dropped (0) and counted, never stored.
  setConsent({ analytics: false, personalization: false });
  assert.equal(track('course_interaction', '{"course_id":"py-101","action":"view"}').result, 0);
  assert.equal(buffer.stats().dropped.no_consent, 1);
}));

test('bytes that are not UTF-8 are refused, never queued', () => {
  const created = core.createEngine(JSON.stringify(CONFIG), SEED);
  const e = created.value;
  try {
    e.setConsent('{"analytics":true}', T0);
    const enc = (s) => [...new TextEncoder().encode(s)];
    const call = (type, props, ctx = []) => {
      const parts = [type, props, ctx].map((b) => Uint8Array.from(b));
      const ptrs = parts.map((b) => { const p = core._malloc(Math.max(1, b.length)); core.HEAPU8.set(b, p); return p; });
      try {
        return core._gradvy_track(e.address(), ptrs[0], parts[0].length, ptrs[1], parts[1].length, ptrs[2], parts[2].length, T0);
      } finally {
        for (const p of ptrs) core._free(p);
      }
    };
    const note = enc('x_note');
    for (const bad of [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe4, 0xb8]]) {  // stray, overlong, surrogate, truncated
      assert.ok(call(note, [...enc('{"t":"a'), ...bad, ...enc('"}')]) < 0);
      assert.equal(e.lastError().code, 'invalid_json');
      assert.ok(call(note, enc('{}'), [...enc('{"page_url":"/a'), ...bad, ...enc('"}')]) < 0, 'in the context too');
    }
    assert.ok(call([...enc('x_no'), 0xff, ...enc('te')], enc('{}')) < 0);
    assert.equal(e.lastError().code, 'invalid_event');
    assert.equal(e.stats().queued, 0);
    assert.equal(call(note, enc('{"t":"ok é"}')), 1, 'valid UTF-8 after refusals');
  } finally {
    e.delete();
  }
});
