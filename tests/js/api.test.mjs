// The public API of @gradvy/personalize (dist/, as users import it) against the
// real wasm module and a real gradvy-sync on 127.0.0.1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { distDir, catalogFile, startSync } from './helpers.mjs';

const pkg = await import(pathToFileURL(join(distDir, 'index.js')).href);
const { createPersonalizer, PersonalizeError, MemoryStore } = pkg;

let sync;
before(async () => { sync = await startSync(); });
after(async () => { await sync?.stop(); });

let userSeq = 0;
const newUser = () => `learner-${process.pid}-${++userSeq}`;

/** A personalizer for a fresh learner against the test server. */
async function make(extra = {}) {
  const user = extra.userId ?? newUser();
  const tokenCalls = [];
  const p = await createPersonalizer({
    endpoint: sync.url,
    userId: user,
    getToken: (o) => { tokenCalls.push(o.forceRefresh); return sync.token(user); },
    autoFlush: false,
    ...extra,
  });
  return { p, user, tokenCalls };
}

const course = (id, action = 'view') => ({ course_id: id, action });

test('a fresh personalizer in Node keeps state in memory and grants only essential', async () => {
  const { p } = await make();
  try {
    assert.equal(p.storageKind, 'memory');
    assert.deepEqual(p.getConsent().granted, ['essential']);
    const drops = [];
    p.on('drop', (d) => drops.push(d));
    const outcome = p.track('course_interaction', course('py-101'));
    assert.deepEqual({ ...outcome }, { queued: false, profiled: false, aggregated: false });
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(drops, [{ reason: 'no_consent', count: 1 }]);
    assert.equal(p.stats().dropped.no_consent, 1);
  } finally {
    await p.destroy();
  }
});

test('consent -> track -> flush: every event reaches the server exactly once, consent too', async () => {
  const { p, user } = await make();
  try {
    const flushes = [];
    p.on('flush', (f) => flushes.push(f));
    const change = await p.setConsent({ analytics: true, personalization: true });
    assert.deepEqual(change.granted, ['analytics', 'personalization']);
    for (let i = 0; i < 7; i++) {
      const o = p.track('course_interaction', course(`py-10${i}`, 'enroll'));
      assert.equal(o.queued, true);
      assert.equal(o.profiled, true);
    }
    const device = (await p.exportData()).device;
    const ids = device.queued_events.map((e) => e.event.id);
    assert.equal(ids.length, 7);
    const result = await p.flush();
    assert.deepEqual(result, { sent: 7, held: 0 });
    assert.equal(flushes.length, 1);
    assert.equal(flushes[0].outcome, 'acked');
    assert.equal(flushes[0].status, 200);
    assert.deepEqual((await sync.storedEventIds(user)).sort(), ids.sort());
    // A second flush sends nothing new.
    assert.deepEqual(await p.flush(), { sent: 0, held: 0 });
    assert.equal((await sync.storedEventIds(user)).length, 7);
    // The consent records went to PUT /v1/consent before the batch.
    const consent = await sync.api(user, 'GET', '/v1/consent');
    assert.equal(consent.body.latest.analytics.granted, true);
    assert.equal(consent.body.latest.personalization.granted, true);
  } finally {
    await p.destroy();
  }
});

test('withdrawing consent purges what was queued before it returns; nothing reaches the server', async () => {
  const { p, user } = await make();
  try {
    await p.setConsent({ analytics: true });
    for (let i = 0; i < 3; i++) p.track('course_interaction', course(`c${i}`));
    assert.equal(p.stats().queued, 3);
    const change = await p.setConsent({ analytics: false });
    assert.deepEqual(change.withdrawn, ['analytics']);
    assert.equal(change.purged, 3);
    assert.equal(p.stats().queued, 0);
    assert.equal((await p.exportData()).device.queued_events.length, 0);
    await p.flush();
    assert.deepEqual(await sync.storedEventIds(user), []);
  } finally {
    await p.destroy();
  }
});

test('state survives a restart: the next personalizer adopts the queue and sends it once', async () => {
  const shared = new Map();
  const user = newUser();
  const first = await make({ userId: user, storage: new MemoryStore(shared) });
  await first.p.setConsent({ analytics: true, personalization: true });
  first.p.track('course_interaction', course('py-101', 'complete'));
  first.p.track('search', { query: 'python', results_count: 4 });
  const queuedIds = (await first.p.exportData()).device.queued_events.map((e) => e.event.id);
  await first.p.destroy();
  assert.equal(shared.size, 1, 'one record persisted');

  const second = await make({ userId: user, storage: new MemoryStore(shared) });
  try {
    assert.deepEqual(second.p.getConsent().granted, ['essential', 'analytics', 'personalization']);
    assert.equal(second.p.stats().queued, 2);
    await second.p.flush();
    assert.deepEqual((await sync.storedEventIds(user)).sort(), queuedIds.sort());
    const profile = second.p.profile();
    assert.equal(typeof profile, 'object');
    assert.ok(profile.preferences, 'profile view has preferences');
  } finally {
    await second.p.destroy();
  }
});

test('a drained orphan (a tab gone before it synced) delivers its consent decisions, then its events', async () => {
  const shared = new Map();
  const user = newUser();
  const pause = () => new Promise((r) => setTimeout(r, 5)); // distinct savedAt: the freshest record is adopted
  // Tab A grants; tab B, open at the same time, grants marketing. Neither sends anything.
  const a = await make({ userId: user, storage: new MemoryStore(shared) });
  await a.p.setConsent({ analytics: true, personalization: true });
  const b = await make({ userId: user, storage: new MemoryStore(shared) });
  await b.p.setConsent({ marketing: true });
  b.p.track('course_interaction', course('b-1'));
  b.p.track('course_interaction', course('b-2'));
  const bIds = (await b.p.exportData({ server: false })).device.queued_events.map((e) => e.event.id);
  await b.p.destroy();
  await pause();
  a.p.track('course_interaction', course('a-1'));
  const aIds = (await a.p.exportData({ server: false })).device.queued_events.map((e) => e.event.id);
  await a.p.destroy();
  assert.equal(shared.size, 2, 'two records, both orphans now');

  // A start while the server is unreachable: B's record cannot be drained, so it is kept whole.
  const offline = await make({ userId: user, storage: new MemoryStore(shared), endpoint: 'http://127.0.0.1:9' });
  const errors = [];
  offline.p.on('error', (e) => errors.push(e.code));
  await offline.p.flush();
  assert.ok(errors.includes('network'), `the failed consent upload is reported (${errors})`);
  assert.equal(shared.size, 2, "B's record is kept for the next drain");
  await offline.p.destroy();
  await pause();

  // The next start adopts A's record (the freshest) and drains B's with a scratch engine.
  const c = await make({ userId: user, storage: new MemoryStore(shared) });
  try {
    await c.p.flush();
    const deadline = Date.now() + 10_000;
    while (shared.size > 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(shared.size, 1, 'the drained record is deleted');
    assert.deepEqual((await sync.storedEventIds(user)).sort(), [...aIds, ...bIds].sort());
    const consent = await sync.api(user, 'GET', '/v1/consent');
    assert.equal(consent.body.latest.analytics?.granted, true, "A's grant (adopted) reached the server");
    assert.equal(consent.body.latest.marketing?.granted, true, "B's grant (drained) reached the server");
  } finally {
    await c.p.destroy();
  }
});

test('an orphan drain retries its consent upload on its own and ends with destroy()', async () => {
  const shared = new Map();
  const user = newUser();
  const a = await make({ userId: user, storage: new MemoryStore(shared) });
  await a.p.setConsent({ analytics: true });
  const b = await make({ userId: user, storage: new MemoryStore(shared) });
  await b.p.setConsent({ marketing: true });
  b.p.track('course_interaction', course('b-1'));
  await b.p.destroy();
  await new Promise((r) => setTimeout(r, 5));
  a.p.track('course_interaction', course('a-1'));
  await a.p.destroy();

  // consent uploads fail while `down`; everything else goes through.
  let down = true;
  const consentPuts = [];
  const fetch = (url, init) => {
    if (String(url).endsWith('/v1/consent') && init?.method === 'PUT') {
      consentPuts.push(down ? 'refused' : 'stored');
      if (down) return Promise.reject(new TypeError('test: network down'));
    }
    return globalThis.fetch(url, init);
  };
  const waitUntil = async (what, fn, ms = 10_000) => {
    const deadline = Date.now() + ms;
    while (!(await fn())) {
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  // A tab whose drain cannot store the consent: destroy() ends the drain and lets go of the record.
  const first = await make({ userId: user, storage: new MemoryStore(shared), fetch });
  await waitUntil('a refused consent upload', () => consentPuts.length > 0);
  const destroyedAt = Date.now();
  await first.p.destroy();
  assert.equal(shared.size, 2, "B's record is kept");

  // The next tab adopts A's record and drains B's; the server comes back; no flush() is called.
  const second = await make({ userId: user, storage: new MemoryStore(shared), fetch });
  try {
    await waitUntil('another refused upload', () => consentPuts.filter((p) => p === 'refused').length >= 2);
    assert.ok(Date.now() - destroyedAt < 2_000, 'the destroyed tab released the orphan at once');
    down = false;
    await waitUntil("B's grant on the server", async () => (await sync.api(user, 'GET', '/v1/consent')).body.latest.marketing?.granted === true);
    await waitUntil("B's record drained", () => shared.size === 1);
    assert.equal((await sync.storedEventIds(user)).length, 1, "B's event followed its consent");
  } finally {
    await second.p.destroy();
  }
});

test('a 401 asks getToken() again once with forceRefresh, then delivers', async () => {
  const user = newUser();
  const calls = [];
  const p = await createPersonalizer({
    endpoint: sync.url,
    userId: user,
    autoFlush: false,
    getToken: ({ forceRefresh }) => { calls.push(forceRefresh); return forceRefresh ? sync.token(user) : 'expired.token'; },
  });
  try {
    await p.setConsent({ analytics: true });
    p.track('page_view', {});
    const r = await p.flush();
    assert.equal(r.sent, 1);
    assert.deepEqual(calls.slice(0, 2), [false, true]);
    assert.equal((await sync.storedEventIds(user)).length, 1);
  } finally {
    await p.destroy();
  }
});

test('a server that is down: the batch waits (retryable) and nothing is lost', async () => {
  const user = newUser();
  const errors = [];
  const p = await createPersonalizer({
    endpoint: 'http://127.0.0.1:9', // discard port: connection refused
    userId: user,
    autoFlush: false,
    getToken: () => sync.token(user),
    config: { queue: { backoff_base_ms: 1, backoff_cap_ms: 5 } },
  });
  try {
    p.on('error', (e) => errors.push(e));
    await p.setConsent({ analytics: true });
    p.track('page_view', {});
    const r = await p.flush().catch((e) => e);
    assert.ok(errors.some((e) => e instanceof PersonalizeError && e.code === 'network'), 'network errors are reported');
    assert.ok(!(r instanceof Error) || r.code === 'network');
    const s = p.stats();
    assert.equal(s.queued + s.in_flight + s.retry_waiting + s.parked, 1, 'the event is still held');
  } finally {
    await p.destroy();
  }
});

test('rerank: plain candidates with embeddings, reasons, feedback, and the same list is not re-packed', async () => {
  const { p, user } = await make();
  try {
    const res = await fetch(`${sync.url}/v1/candidates`, { headers: { Authorization: `Bearer ${sync.token(user)}` } });
    assert.equal(res.status, 200);
    const served = await res.json();
    assert.ok(served.items.length >= 5);
    // Count reads of `embedding` to prove the list crosses into wasm once.
    let embeddingReads = 0;
    const candidates = served.items.map((item) => {
      const { embedding, ...rest } = item;
      return Object.defineProperty(rest, 'embedding', { get() { embeddingReads++; return embedding; }, enumerable: true });
    });
    await p.setConsent({ personalization: true });
    for (const id of ['py-101', 'py-201', 'ds-101']) p.track('course_interaction', course(id, 'complete'));
    const first = p.rerank(candidates, { limit: 5 });
    assert.equal(first.items.length, 5);
    const readsAfterFirst = embeddingReads;
    assert.ok(readsAfterFirst >= candidates.length);
    for (const item of first.items) {
      assert.equal(item.candidate, candidates[item.index], 'the original object comes back');
      const sum = item.factors.reduce((a, f) => a + f.value, 0);
      assert.ok(Math.abs(sum - item.score) < 1e-4, `factors sum to the score (${sum} vs ${item.score})`);
    }
    const again = p.rerank(candidates, { limit: 5 });
    assert.equal(embeddingReads, readsAfterFirst, 'same list: no re-pack, no copy');
    assert.deepEqual(again.items.map((i) => i.id), first.items.map((i) => i.id));

    const top = first.items[0].id;
    p.feedback(top, 'dismissed', 'not for me');
    const afterDismiss = p.rerank(candidates, { limit: 5 });
    assert.ok(!afterDismiss.items.some((i) => i.id === top), 'a dismissed item leaves the very next ranking');
  } finally {
    await p.destroy();
  }
});

test('rerank without personalization consent says it fell back', async () => {
  const { p } = await make();
  try {
    const items = JSON.parse(readFileSync(catalogFile, 'utf8')).items;
    const ranking = p.rerank(items, { limit: 3 });
    assert.equal(ranking.source, 'fallback');
    assert.ok(ranking.reason);
    assert.equal(ranking.items.length, 3);
  } finally {
    await p.destroy();
  }
});

test('profile events, variant assignment, insights', async () => {
  const { p } = await make();
  try {
    let profileEvents = 0;
    p.on('profile', () => { profileEvents++; });
    await p.setConsent({ personalization: true, analytics: true });
    p.track('course_interaction', course('py-101', 'complete'));
    await new Promise((r) => setTimeout(r, 10));
    assert.ok(profileEvents >= 1);
    const v1 = p.variant('onboarding', ['a', 'b']);
    const v2 = p.variant('onboarding', ['a', 'b']);
    assert.equal(v1.variant, v2.variant);
    assert.ok(['a', 'b'].includes(v1.variant));
    assert.equal(v1.exposure_queued, true);
    assert.equal(typeof p.insights(), 'object');
  } finally {
    await p.destroy();
  }
});

test('consent inputs: TCF string, Consent Mode and GPC are recorded with their source', async () => {
  const { p } = await make();
  try {
    await p.applyConsentMode({ analytics_storage: 'granted', ad_storage: 'denied' });
    assert.ok(p.getConsent().granted.includes('analytics'));
    assert.equal(p.getConsent().history.at(-1).source, 'consent_mode');
    await p.setConsent({ marketing: true });
    const gpc = await p.setGpc(true);
    assert.ok(gpc.withdrawn.includes('marketing'));
    assert.equal(p.getConsent().gpc, true);
    await p.applyTcfString('CLcVDxRMWfGmWAVAHCENAXCkAKDAADnAABRgA5mdfCKZuYJez-NQm0TBMYA4oCAAGQYIAAAAAAEAIAEgAA');
    assert.ok(p.getConsent().history.some((r) => r.source === 'tcf'));
  } finally {
    await p.destroy();
  }
});

test('local-only: raw events never leave; noised aggregates do, with analytics consent', async () => {
  const { p, user } = await make();
  try {
    await p.setConsent({ analytics: true, personalization: true });
    p.track('page_view', {});
    const purged = await p.setLocalOnly(true);
    assert.equal(purged, 1);
    const o = p.track('course_interaction', course('py-101', 'complete'));
    assert.equal(o.queued, false);
    assert.equal(o.aggregated, true);
    await p.flush();
    const exported = await sync.api(user, 'GET', '/v1/me/export');
    assert.deepEqual(exported.body.events, []);
    assert.equal(exported.body.aggregates.length, 1, 'one noised aggregate report');
  } finally {
    await p.destroy();
  }
});

test('exportData and forgetMe: the device and the server forget the learner, with a receipt', async () => {
  const shared = new Map();
  const { p, user } = await make({ storage: new MemoryStore(shared) });
  try {
    await p.setConsent({ analytics: true, personalization: true });
    p.track('course_interaction', course('py-101', 'complete'));
    await p.flush();
    p.track('course_interaction', course('py-201', 'view'));
    await p.persist();
    const exported = await p.exportData();
    assert.equal(exported.device.queued_events.length, 1);
    assert.equal(exported.server.events.length, 1);
    assert.ok(shared.size > 0);

    const receipt = await p.forgetMe();
    assert.equal(receipt.device.wiped, true);
    assert.equal(receipt.server.user_id, user);
    assert.ok(receipt.server.total_rows >= 1);
    assert.equal(shared.size, 0, 'nothing left in storage');
    assert.deepEqual(p.getConsent().granted, ['essential']);
    assert.equal(p.stats().queued, 0);
    assert.deepEqual(await sync.storedEventIds(user), []);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(shared.size, 0, 'the wiped state is not written back');
  } finally {
    await p.destroy();
  }
});

test('storage failures degrade to memory with an error event, never a crash', async () => {
  const failing = {
    kind: 'indexeddb',
    get: async () => null,
    put: async () => { throw new Error('QuotaExceededError'); },
    delete: async () => {},
    list: async () => [],
    destroy: async () => {},
    close: () => {},
  };
  const { p } = await make({ storage: failing });
  try {
    const errors = [];
    p.on('error', (e) => errors.push(e));
    await p.setConsent({ analytics: true });
    p.track('page_view', {});
    await p.persist();
    assert.ok(errors.some((e) => e.code === 'storage' && /Quota/.test(e.message)));
    assert.equal(p.storageKind, 'memory');
    assert.equal(p.track('page_view', {}).queued, true, 'still working');
  } finally {
    await p.destroy();
  }
});

test('after destroy() every call throws PersonalizeError destroyed', async () => {
  const { p } = await make();
  await p.destroy();
  assert.throws(() => p.track('page_view', {}), (e) => e instanceof PersonalizeError && e.code === 'destroyed');
  assert.throws(() => p.getConsent(), (e) => e.code === 'destroyed');
});

test('the wasm module loads once per process', async () => {
  const a = await createPersonalizer({ autoFlush: false });
  const b = await createPersonalizer({ autoFlush: false });
  try {
    assert.ok(a.core === b.core, 'both share one module instance');
  } finally {
    await a.destroy();
    await b.destroy();
  }
});
