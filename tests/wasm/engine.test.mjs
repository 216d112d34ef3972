// The wasm module as the npm package sees it (wasm/gradvy_core.d.ts):
// load the built ES module from GRADVY_WASM_MODULE and drive the Engine.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { loadCore } from './load-core.mjs';

let core;
before(async () => {
  core = await loadCore();
});

const T0 = 1_763_800_000_000;  // 2025-11-22, a fixed clock
const SEED = '00112233445566778899aabbccddeeff';

function engine(config = {}) {
  const created = core.createEngine(JSON.stringify(config), SEED);
  assert.equal(created.ok, true, JSON.stringify(created));
  return created.value;
}

function withEngine(config, fn) {
  const e = engine(config);
  try { return fn(e); } finally { e.delete(); }
}

const course = (id, action = 'view') => JSON.stringify({ course_id: id, action });

test('module exposes the documented factory, constants and limits', () => {
  assert.equal(typeof core.createEngine, 'function');
  assert.equal(core.TRACK_QUEUED, 1);
  assert.equal(core.TRACK_PROFILED, 2);
  assert.equal(core.TRACK_AGGREGATED, 4);
  const limits = core.limits();
  assert.equal(typeof limits.max_candidates, 'number');
  assert.equal(typeof limits.max_dimension, 'number');
});

test('createEngine refuses a bad config and a bad seed with a code, not a throw', () => {
  const badConfig = core.createEngine('{"queue":{"batch_size":0}}', SEED);
  assert.equal(badConfig.ok, false);
  assert.equal(badConfig.code, 'invalid_argument');
  assert.match(badConfig.message, /batch_size/);
  const typo = core.createEngine('{"qeueu":{}}', SEED);
  assert.equal(typo.ok, false);
  assert.match(typo.message, /qeueu/);
  const notJson = core.createEngine('{', SEED);
  assert.equal(notJson.code, 'invalid_json');
  const badSeed = core.createEngine('', 'not hex');
  assert.equal(badSeed.ok, false);
  assert.equal(badSeed.code, 'invalid_argument');
});

test('track -> take batch -> ack delivers the event once', () => withEngine({ device_id: 'dev-1' }, (e) => {
  // Opt-in default: nothing but essential is granted, so the event is dropped and counted.
  assert.equal(e.track('course_interaction', course('py-101'), '', T0), 0);
  assert.equal(e.stats().dropped.no_consent, 1);
  assert.equal(e.takeBatch(T0, true), null);

  const granted = e.setConsent('{"analytics":true}', T0);
  assert.equal(granted.ok, true);
  assert.deepEqual(granted.value.granted, ['analytics']);
  assert.equal(e.track('course_interaction', course('py-101', 'enroll'), '{"page_url":"/courses/py-101"}', T0 + 1), core.TRACK_QUEUED);
  assert.equal(e.takeBatch(T0 + 2, false), null, 'not due yet: 1 event, younger than max_age');
  assert.equal(e.nextWakeupMs(T0 + 2), T0 + 1 + 10_000);

  const batch = e.takeBatch(T0 + 20_000, false);
  assert.ok(batch);
  assert.equal(batch.eventCount, 1);
  assert.equal(batch.attempt, 1);
  assert.equal(batch.bytes, Buffer.byteLength(batch.body));
  const body = JSON.parse(batch.body);
  assert.equal(body.batch_id, batch.batchId);
  assert.equal(body.device_id, 'dev-1');
  assert.equal(body.sent_at, T0 + 20_000);
  assert.equal(body.events.length, 1);
  assert.equal(body.events[0].type, 'course_interaction');
  assert.equal(body.events[0].props.course_id, 'py-101');
  assert.equal(body.events[0].purpose, 'analytics');
  assert.equal(e.stats().in_flight, 1);

  const acked = e.ack(batch.batchId, T0 + 20_100);
  assert.deepEqual(acked, { ok: true, value: { acked: 1 } });
  const stats = e.stats();
  assert.equal(stats.sent, 1);
  assert.equal(stats.in_flight, 0);
  assert.equal(e.takeBatch(T0 + 40_000, true), null);
  const again = e.ack(batch.batchId, T0 + 20_200);
  assert.equal(again.ok, false);
  assert.equal(again.code, 'unknown_batch');
}));

test('retryable failure schedules a retry with the same batch id; 413 splits', () => withEngine({}, (e) => {
  e.setConsent('{"analytics":true}', T0);
  for (let i = 0; i < 4; i++) assert.equal(e.track('course_interaction', course(`c${i}`), '', T0), 1);
  const first = e.takeBatch(T0, true);
  const retry = e.fail(first.batchId, { retryable: true, retryAfterMs: 5000 }, T0 + 1);
  assert.equal(retry.ok, true);
  assert.equal(retry.value.action, 'retry_scheduled');
  assert.ok(retry.value.retry_at_ms >= T0 + 1 + 5000);
  assert.equal(e.takeBatch(T0 + 2, true), null, 'Retry-After is honoured even for a forced take');
  const second = e.takeBatch(retry.value.retry_at_ms, false);
  assert.equal(second.batchId, first.batchId);
  assert.equal(second.attempt, 2);
  const split = e.fail(second.batchId, { retryable: true, tooLarge: true }, retry.value.retry_at_ms);
  assert.equal(split.value.action, 'split');
  assert.equal(split.value.new_batch_ids.length, 2);
  const badOptions = e.fail(second.batchId, { retryable: 'yes' }, T0);
  assert.equal(badOptions.ok, false);
  assert.equal(badOptions.code, 'invalid_argument');
}));

test('withdrawing consent purges queued events before the call returns', () => withEngine({}, (e) => {
  e.setConsent('{"analytics":true,"personalization":true}', T0);
  for (let i = 0; i < 3; i++) e.track('course_interaction', course(`c${i}`, 'complete'), '', T0 + i);
  e.track('recommendation_feedback', JSON.stringify({ item_id: 'c9', feedback: 'thumbs_up' }), '', T0 + 5);
  const inFlight = e.takeBatch(T0 + 6, true);
  assert.equal(inFlight.eventCount, 4);
  e.track('course_interaction', course('late-course'), '', T0 + 7);
  assert.equal(e.stats().queued, 1);

  const withdrawn = e.setConsent('{"analytics":false}', T0 + 8);
  assert.equal(withdrawn.ok, true);
  assert.deepEqual(withdrawn.value.withdrawn, ['analytics']);
  assert.equal(withdrawn.value.purged, 4, '3 in flight + 1 pending analytics events');
  const stats = e.stats();
  assert.equal(stats.queued, 0);
  assert.equal(stats.dropped.consent_withdrawn, 4);
  assert.ok(!JSON.stringify(JSON.parse(e.snapshot()).queue).includes('late-course'), 'gone from the persisted snapshot too');
  // The host's ack of the in-flight batch acknowledges only what is still allowed.
  assert.deepEqual(e.ack(inFlight.batchId, T0 + 9).value, { acked: 1 });
  const consent = e.consent();
  assert.deepEqual(consent.granted, ['essential', 'personalization']);
  assert.equal(consent.history.at(-1).purpose, 'analytics');
  assert.equal(consent.history.at(-1).granted, false);
  assert.equal(consent.history.at(-1).source, 'app');
}));

test('a bad event is refused whole with a code and a message naming the field', () => withEngine({}, (e) => {
  e.setConsent('{"analytics":true}', T0);
  const r = e.track('quiz_attempt', '{"score":12,"total_questions":10,"time_taken":30}', '', T0);
  assert.ok(r < 0);
  const err = e.lastError();
  assert.equal(err.code, 'invalid_event');
  assert.match(err.message, /props\.score/);
  assert.equal(e.track('course_interaction', '{"course_id":', '', T0) < 0, true);
  assert.equal(e.lastError().code, 'invalid_json');
  assert.ok(e.track('no_such_type', '{}', '', T0) < 0);
  assert.equal(e.lastError().code, 'invalid_event');
  assert.ok(e.track('page_view', '{}', '', Number.NaN) < 0);
  assert.equal(e.lastError().code, 'invalid_argument');
  const stats = e.stats();
  assert.equal(stats.queued, 0);
  assert.equal(stats.dropped.invalid, 3);
}));

test('PII inside free text is redacted before it is queued', () => withEngine({}, (e) => {
  e.setConsent('{"analytics":true}', T0);
  assert.equal(e.track('search', JSON.stringify({ query: 'mail me at ada@example.com', results_count: 3 }), '', T0), 1);
  const body = e.takeBatch(T0, true).body;
  assert.ok(!body.includes('ada@example.com'));
  assert.ok(body.includes('[redacted]'));
  assert.equal(e.stats().pii_redactions, 1);
}));

test('TCF: a malformed string is an error, never a grant', () => withEngine({}, (e) => {
  for (const bad of ['', 'not-a-tc-string', 'CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA.%%%']) {
    const r = e.applyTcf(bad, T0);
    assert.equal(r.ok, false, bad);
    assert.equal(r.code, 'invalid_tc_string');
    assert.equal(typeof r.message, 'string');
  }
  assert.deepEqual(e.consent().granted, ['essential']);
  assert.equal(e.lastError().code, 'invalid_tc_string');
}));

test('Consent Mode and GPC inputs change the grants and say so', () => withEngine({}, (e) => {
  const cm = e.applyConsentMode('{"analytics_storage":"granted","ad_storage":"granted","ad_user_data":"granted","ad_personalization":"granted"}', T0);
  assert.equal(cm.ok, true);
  assert.deepEqual(cm.value.granted, ['analytics', 'marketing']);
  const gpc = e.setGpc(true, T0 + 1);
  assert.equal(gpc.ok, true);
  assert.deepEqual(gpc.value.withdrawn, ['marketing']);
  assert.equal(e.consent().gpc, true);
  const bad = e.applyConsentMode('{"analytics_storage":"maybe"}', T0 + 2);
  assert.equal(bad.code, 'invalid_consent');
}));

test('snapshot round trip restores the queue; corrupt and foreign snapshots are refused', () => {
  const a = engine({ device_id: 'dev-a' });
  const b = engine({ device_id: 'dev-a' });
  try {
    a.setConsent('{"analytics":true}', T0);
    for (let i = 0; i < 5; i++) a.track('course_interaction', course(`c${i}`), '', T0 + i);
    const snap = a.snapshot();
    const doc = JSON.parse(snap);
    assert.equal(doc.format, 'gradvy.snapshot');
    assert.equal(doc.version, 1);

    assert.deepEqual(b.restore(snap), { ok: true, value: null });
    assert.equal(b.stats().queued, 5);
    assert.deepEqual(b.consent().granted, ['essential', 'analytics']);
    const fromA = JSON.parse(a.takeBatch(T0 + 10, true).body).events.map((ev) => ev.id);
    const fromB = JSON.parse(b.takeBatch(T0 + 10, true).body).events.map((ev) => ev.id);
    assert.deepEqual(fromB, fromA);

    const before = b.snapshot();
    const corrupt = b.restore(snap.slice(0, snap.length / 2));
    assert.equal(corrupt.ok, false);
    assert.equal(corrupt.code, 'snapshot_corrupt');
    const foreign = b.restore(JSON.stringify({ ...doc, version: 99 }));
    assert.equal(foreign.code, 'snapshot_version');
    const other = b.restore('{"format":"something.else","version":1}');
    assert.equal(other.code, 'snapshot_version');
    assert.equal(b.snapshot(), before, 'state unchanged after refused restores');
  } finally {
    a.delete();
    b.delete();
  }
});

test('local-only mode keeps raw events on the device and releases noised aggregates', () => withEngine({}, (e) => {
  e.setConsent('{"analytics":true}', T0);
  e.track('page_view', '{}', '', T0);
  assert.equal(e.setLocalOnly(true), 1, 'the queued raw event is purged');
  assert.equal(e.track('course_interaction', course('c1', 'complete'), '', T0 + 1), core.TRACK_AGGREGATED);
  assert.equal(e.takeBatch(T0 + 2, true), null);
  const report = e.takeAggregates(T0 + 3);
  assert.ok(report);
  assert.equal(typeof report.counts['course_interaction.complete'], 'number');
  assert.equal(report.epsilon, 1);
  assert.equal(e.stats().dropped.local_only, 1);
  e.setConsent('{"analytics":false}', T0 + 4);
  e.track('page_view', '{}', '', T0 + 5);
  assert.equal(e.takeAggregates(T0 + 6), null, 'no analytics consent: nothing released');
}));

test('export and forget cover what the device holds', () => withEngine({ user_id: 'learner-7' }, (e) => {
  e.setConsent('{"analytics":true,"personalization":true}', T0);
  e.track('course_interaction', course('py-101', 'complete'), '', T0);
  const exported = e.exportData(T0);
  assert.equal(exported.user_id, 'learner-7');
  assert.equal(exported.queued_events.length, 1);
  assert.ok(Array.isArray(exported.consent.history));
  e.forget();
  const after = e.exportData(T0);
  assert.equal(after.queued_events.length, 0);
  assert.equal(after.user_id, '');
  assert.deepEqual(e.consent().granted, ['essential']);
  assert.equal(e.identify('someone@example.com').code, 'invalid_argument');
}));
