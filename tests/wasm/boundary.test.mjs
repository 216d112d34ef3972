// The JS glue over the module's C exports (wasm/engine_api.post.js): how values
// cross — long and non-ASCII strings, wrong argument types, a deleted engine,
// null results, numbers only a correctly rounded slow path reads — as a caller
// of wasm/gradvy_core.d.ts sees them.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { loadCore } from './load-core.mjs';

let core;
before(async () => {
  core = await loadCore();
});

const T0 = 1_763_800_000_000;
const SEED = '00112233445566778899aabbccddeeff';

function engine(config = {}) {
  const created = core.createEngine(JSON.stringify(config), SEED);
  assert.equal(created.ok, true, JSON.stringify(created));
  return created.value;
}

test('a snapshot over 64 KiB with non-ASCII text restores byte-exact in another engine', () => {
  const a = engine({ device_id: 'dev-a' });
  const b = engine({ device_id: 'dev-a' });
  try {
    a.setConsent('{"analytics":true}', T0);
    const title = 'Análisis de datos — 数据分析 — 🧮 ';
    for (let i = 0; i < 400; i++) {
      assert.ok(a.track('search', JSON.stringify({ query: `${title}${i}`, results_count: i }), '', T0 + i) > 0);
    }
    const snap = a.snapshot();
    assert.ok(snap.length > 65_536, `snapshot of ${snap.length} chars`);
    assert.deepEqual(b.restore(snap), { ok: true, value: null });
    // Byte-exact but for the revision counter, which the restore itself moves.
    const withoutRevision = (text) => text.replace(/"revision":\d+,/, '');
    assert.equal(withoutRevision(b.snapshot()), withoutRevision(snap));
    const queries = JSON.parse(b.takeBatch(T0 + 1000, true).body).events.map((ev) => ev.props.query);
    assert.equal(queries[7], `${title}7`);
  } finally {
    a.delete();
    b.delete();
  }
});

test('numbers the reader\'s fast path cannot take are read correctly rounded (the module has no strtod)', () => {
  const a = engine();
  const b = engine();
  try {
    a.setConsent('{"personalization":true}', T0);
    assert.ok(a.track('course_interaction', '{"course_id":"c-1","action":"view"}', '', T0 + 1) > 0);
    const snap = a.snapshot();
    assert.match(snap, /"w":1\.0}/);
    // Each text written in place of the item's weight; JS's own parse is the
    // correctly rounded reference.
    for (const text of ['0.30000000000000004', '3.141592653589793238462643383279502884197',
      '2.2250738585072011e-308', '4.9406564584124654e-324', '1.7976931348623157e308',
      '9007199254740993', '1.00000000000000011102230246251565404236316680908203125',
      `0.${'0'.repeat(300)}17976931348623157`, `${'9'.repeat(30)}e-20`]) {
      assert.deepEqual(b.restore(snap.replace('"w":1.0}', `"w":${text}}`)), { ok: true, value: null }, text);
      assert.equal(JSON.parse(b.snapshot()).profile.items[0].w, Number(text), text);
    }
    const refused = b.restore(snap.replace('"w":1.0}', '"w":1e400}'));
    assert.equal(refused.ok, false);
    assert.equal(refused.code, 'snapshot_corrupt');  // a number no double can hold is not JSON here
  } finally {
    a.delete();
    b.delete();
  }
});

test('non-ASCII arguments arrive as written; a lone surrogate becomes U+FFFD', () => {
  const e = engine();
  try {
    assert.deepEqual(e.identify('lernende-ü-学'), { ok: true, value: null });
    assert.equal(e.exportData(T0).user_id, 'lernende-ü-学');
    assert.deepEqual(e.identify('half-\uD800'), { ok: true, value: null });
    assert.equal(e.exportData(T0).user_id, 'half-\uFFFD');
  } finally {
    e.delete();
  }
});

test('a wrong argument type throws a TypeError naming the parameter; nothing reaches the core', () => {
  const e = engine();
  try {
    assert.throws(() => e.identify(42), (err) => err instanceof TypeError && /userId/.test(err.message));
    assert.throws(() => e.track('search', { query: 'x' }, '', T0), (err) => err instanceof TypeError && /propsJson/.test(err.message));
    assert.throws(() => core.createEngine(undefined, SEED), (err) => err instanceof TypeError && /configJson/.test(err.message));
    assert.equal(e.stats().queued, 0);
    assert.equal(e.exportData(T0).user_id, '');
  } finally {
    e.delete();
  }
});

test('an engine used after delete() throws instead of touching freed memory; delete() twice is harmless', () => {
  const e = engine();
  e.delete();
  e.delete();
  assert.throws(() => e.stats(), /after delete/);
  assert.throws(() => e.track('page_view', '', '', T0), /after delete/);
  assert.throws(() => e.address(), /after delete/);
});

test('fail() options are checked in the core: not an object, no retryable, NaN retryAfterMs', () => {
  const e = engine();
  try {
    e.setConsent('{"analytics":true}', T0);
    e.track('page_view', '', '', T0);
    const batch = e.takeBatch(T0, true);
    assert.ok(batch && batch.eventCount === 1 && typeof batch.body === 'string');
    const refused = (options, pattern) => {
      const r = e.fail(batch.batchId, options, T0);
      assert.equal(r.ok, false);
      assert.equal(r.code, 'invalid_argument');
      assert.match(r.message, pattern);
      assert.deepEqual(e.lastError(), { code: 'invalid_argument', message: r.message });
    };
    refused(undefined, /options: must be an object/);
    refused('retry', /options: must be an object/);
    refused({}, /options\.retryable/);
    refused({ retryable: true, retryAfterMs: NaN }, /retryAfterMs/);
    refused({ retryable: true, retryAfterMs: -1 }, /retryAfterMs/);
    refused({ retryable: true, tooLarge: 'yes' }, /tooLarge/);
    const retry = e.fail(batch.batchId, { retryable: true, retryAfterMs: 2000, tooLarge: undefined }, T0);
    assert.equal(retry.ok, true, JSON.stringify(retry));
    assert.equal(retry.value.action, 'retry_scheduled');
    assert.ok(retry.value.retry_at_ms >= T0 + 2000);
  } finally {
    e.delete();
  }
});

test('null results cross as null: no batch, no wakeup, no aggregates, a bad clock', () => {
  const e = engine();
  try {
    assert.equal(e.takeBatch(T0, true), null);
    assert.equal(e.nextWakeupMs(T0), null);
    assert.equal(e.takeAggregates(T0), null);
    e.setConsent('{"analytics":true}', T0);
    e.track('page_view', '', '', T0);
    assert.equal(typeof e.nextWakeupMs(T0), 'number');
    assert.equal(e.nextWakeupMs(NaN), null);
    assert.equal(e.takeBatch(Infinity, true), null);
    const bad = e.ack('nope', NaN);
    assert.equal(bad.code, 'invalid_argument');
    assert.match(bad.message, /nowMs/);
  } finally {
    e.delete();
  }
});

test('module info: version, factor names and limits are fresh copies', () => {
  assert.match(core.version(), /^\d+\.\d+\.\d+$/);
  const names = core.factorNames();
  assert.ok(names.length > 0 && names.includes('interest'));
  names.push('mutated');
  assert.ok(!core.factorNames().includes('mutated'));
  const limits = core.limits();
  limits.max_candidates = -1;
  assert.ok(core.limits().max_candidates > 0);
});

test('a time that is not a number is refused by the core, never read as another argument', () => {
  const e = engine();
  try {
    const r = e.setConsent('{"analytics":true}', 'soon');
    assert.equal(r.ok, false);
    assert.match(r.message, /nowMs/);
    assert.ok(e.track('page_view', '', '', 'later') < 0);
    assert.match(e.lastError().message, /nowMs/);
    assert.equal(e.stats().queued, 0);
  } finally {
    e.delete();
  }
});
