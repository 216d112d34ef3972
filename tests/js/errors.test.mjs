// Every refusal surfaces as a PersonalizeError whose `code` comes from the core
// and whose message names the field and the rule; nothing is half-stored.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { distDir } from './helpers.mjs';

const { createPersonalizer, PersonalizeError, classifyStatus, parseRetryAfter } =
  await import(pathToFileURL(join(distDir, 'index.js')).href);

let p;
before(async () => {
  p = await createPersonalizer({ userId: 'learner-errors', autoFlush: false });
  await p.setConsent({ analytics: true, personalization: true });
});
after(async () => { await p.destroy(); });

function rejects(fn, code, pattern) {
  let caught;
  try { fn(); } catch (e) { caught = e; }
  assert.ok(caught instanceof PersonalizeError, `expected a PersonalizeError, got ${caught}`);
  assert.ok(caught instanceof Error);
  assert.equal(caught.code, code, caught.message);
  if (pattern) assert.match(caught.message, pattern);
  return caught;
}

test('a bad event: invalid_event naming the field, and nothing is stored', () => {
  const before = p.stats();
  rejects(() => p.track('quiz_attempt', { score: 12, total_questions: 10, time_taken: 30 }), 'invalid_event', /props\.score/);
  rejects(() => p.track('course_interaction', { course_id: 'py-101', action: 'teleport' }), 'invalid_event', /props\.action/);
  rejects(() => p.track('no_such_type', {}), 'invalid_event');
  const after = p.stats();
  assert.equal(after.queued, before.queued);
  assert.equal(after.dropped.invalid, before.dropped.invalid + 3);
});

test('a malformed TC string: invalid_tc_string and consent unchanged', async () => {
  const before = p.getConsent();
  await assert.rejects(p.applyTcfString('not-a-tc-string!!'), (e) => e instanceof PersonalizeError && e.code === 'invalid_tc_string');
  assert.deepEqual(p.getConsent().granted, before.granted);
  assert.equal(p.getConsent().history.length, before.history.length);
});

test('bad consent input: invalid_consent', async () => {
  await assert.rejects(p.setConsent({ essential: false }), (e) => e.code === 'invalid_consent');
  await assert.rejects(p.setConsent({ analytcs: true }), (e) => e.code === 'invalid_consent' && /analytcs/.test(e.message));
  await assert.rejects(p.applyConsentMode({ analytics_storage: 'maybe' }), (e) => e.code === 'invalid_consent');
});

test('bad rerank input: invalid_argument, dimension_mismatch, non_finite, empty_input', () => {
  rejects(() => p.rerank('not a list'), 'invalid_argument', /candidates/);
  rejects(() => p.rerank([{ id: 'a', embedding: [1, 0] }, { id: 'b', embedding: [1] }]), 'dimension_mismatch', /candidates\[1\]\.embedding/);
  rejects(() => p.rerank([{ id: 'a', embedding: [NaN, 0] }]), 'non_finite');
  rejects(() => p.rerank([]), 'empty_input');
  rejects(() => p.rerank({ items: [{ id: 'a' }], embeddings: new Float32Array(3), dimension: 2 }), 'dimension_mismatch');
  rejects(() => p.rerank([{ id: 'a', embedding: [1] }], { diversity: 7 }), 'invalid_argument', /diversity/);
  // After a refusal the next good call works.
  assert.equal(p.rerank([{ id: 'a', embedding: [1, 0] }, { id: 'b', embedding: [0, 1] }]).items.length, 2);
});

test('an e-mail as user id is refused', () => {
  rejects(() => p.identify('someone@example.com'), 'invalid_argument');
});

test('a bad engine config is refused by createPersonalizer with the core code', async () => {
  await assert.rejects(createPersonalizer({ config: { queue: { batch_size: 0 } } }),
    (e) => e instanceof PersonalizeError && e.code === 'invalid_argument' && /batch_size/.test(e.message));
});

test('flush without an endpoint: not_configured', async () => {
  await assert.rejects(p.flush(), (e) => e.code === 'not_configured');
});

test('HTTP status -> core outcome', () => {
  const now = 1_000_000;
  assert.equal(classifyStatus(200, null, now).kind, 'ack');
  assert.equal(classifyStatus(204, null, now).kind, 'ack');
  assert.deepEqual(classifyStatus(413, null, now).options, { retryable: true, tooLarge: true });
  assert.deepEqual(classifyStatus(429, '7', now).options, { retryable: true, retryAfterMs: 7000 });
  assert.deepEqual(classifyStatus(503, '2', now).options, { retryable: true, retryAfterMs: 2000 });
  assert.deepEqual(classifyStatus(500, null, now).options, { retryable: true });
  assert.deepEqual(classifyStatus(408, null, now).options, { retryable: true });
  assert.deepEqual(classifyStatus(400, null, now).options, { retryable: false });
  assert.deepEqual(classifyStatus(403, null, now).options, { retryable: false });
  assert.equal(parseRetryAfter(new Date(now + 5000).toUTCString(), now) <= 5000, true);
  assert.equal(parseRetryAfter('soon', now), undefined);
});
