// Helpers shared by the browser delivery suites: queue configs, a learner id per
// test, tracking with the ids the device assigned, consent, and the server-side
// "exactly once" check (read from gradvy-sync's own store).
import assert from 'node:assert/strict';
import { waitFor } from './harness.mjs';

// Delivered on the core's schedule quickly; retries short so the tests stay fast.
export const FAST = { queue: { max_age_ms: 300, backoff_base_ms: 200, backoff_cap_ms: 1000 } };
// Nothing is sent until a flush (or page hide): the queue is "mid-way".
export const HELD = { queue: { max_age_ms: 600_000, batch_size: 1000, backoff_base_ms: 200, backoff_cap_ms: 1000 } };

let seq = 0;
export const newUser = (name) => `${name}-${process.pid}-${++seq}`;

/** Tracks n course views; returns the ids the device assigned to them. */
export async function track(page, prefix, n) {
  return page.evaluate(async ([prefix, n]) => {
    const p = window.gradvy;
    const ids = () => p.exportData({ server: false }).then((d) => d.device.queued_events.map((e) => e.event.id));
    const before = new Set(await ids());
    for (let i = 0; i < n; i++) p.track('course_interaction', { course_id: `${prefix}-${i}`, action: 'view' });
    return (await ids()).filter((id) => !before.has(id));
  }, [prefix, n]);
}

export const grant = (page, changes = { analytics: true, personalization: true }) =>
  page.evaluate((c) => window.gradvy.setConsent(c), changes);

/** Waits until the server holds `expected` ids, then checks: each exactly once, nothing else. */
export async function assertStoredExactlyOnce(stack, user, expected, timeoutMs = 20_000) {
  await waitFor(async () => (await stack.sync.storedEventIds(user)).length >= expected.length, timeoutMs);
  await new Promise((r) => setTimeout(r, 700)); // late duplicates would show up now
  const stored = await stack.sync.storedEventIds(user);
  assert.equal(new Set(stored).size, stored.length, 'no event stored twice');
  const missing = expected.filter((id) => !stored.includes(id));
  const extra = stored.filter((id) => !expected.includes(id));
  assert.deepEqual({ missing, extra }, { missing: [], extra: [] },
    `every event stored, nothing else (${stored.length} stored, ${expected.length} tracked)`);
}
