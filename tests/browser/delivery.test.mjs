// Real Chromium + real gradvy-sync: events arrive exactly once across reloads,
// offline periods, server outages and two tabs; consent is enforced; forgetMe
// leaves nothing behind. "Exactly once" is checked in the server's own export.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, launch, openPage, pageUrl, ready, waitFor } from './harness.mjs';
import { FAST, HELD, newUser, track, grant, assertStoredExactlyOnce } from './delivery-support.mjs';

let stack;
before(async () => { stack = await startStack(); });
after(async () => { await stack?.stop(); });

/** Waits until the server holds `expected` ids, then checks: each exactly once, nothing else. */
const assertExactlyOnce = (user, expected, timeoutMs) => assertStoredExactlyOnce(stack, user, expected, timeoutMs);

test('(a) a reload mid-queue loses nothing and sends nothing twice', async () => {
  const user = newUser('reload');
  const browser = await launch();
  try {
    const page = await openPage(browser.context, stack.origin, user, { config: HELD });
    await grant(page);
    const ids = await track(page, 'reload', 12);
    assert.equal(ids.length, 12);
    await page.evaluate(() => window.gradvy.persist());
    await page.reload();
    await ready(page);
    // The reloaded page adopted the queue (or the page-hide keepalive already delivered it).
    await page.evaluate(() => window.gradvy.flush());
    const more = await track(page, 'after-reload', 3);
    await page.evaluate(() => window.gradvy.flush());
    await assertExactlyOnce(user, [...ids, ...more]);
  } finally {
    await browser.close();
  }
});

test('(a2) a reload without page-hide delivery: the persisted queue alone carries the events', async () => {
  const user = newUser('reload-quiet');
  const browser = await launch();
  try {
    const page = await openPage(browser.context, stack.origin, user, { config: HELD, options: { autoFlush: false } });
    await grant(page);
    const ids = await track(page, 'quiet', 5);
    await page.evaluate(() => window.gradvy.persist());
    const before = stack.counts.batchRequests;
    await page.reload();
    await ready(page);
    assert.equal(stack.counts.batchRequests, before, 'autoFlush off: nothing was sent on page hide');
    assert.equal(await page.evaluate(() => window.gradvy.stats().queued), 5, 'restored from IndexedDB');
    await page.evaluate(() => window.gradvy.flush());
    await assertExactlyOnce(user, ids);
  } finally {
    await browser.close();
  }
});

test('(a3) a page hidden before its first token sends nothing it cannot authenticate; the saved queue carries the events', async () => {
  const user = newUser('no-token');
  const since = stack.exchanges.length;
  const browser = await launch();
  try {
    const page = await openPage(browser.context, stack.origin, user, { config: HELD, tokenDelayMs: 600_000 });
    await grant(page);
    const ids = await track(page, 'no-token', 5);
    await page.evaluate(() => window.gradvy.persist());
    assert.ok(await page.evaluate(() => window.gradvyTokenCalls) >= 1, 'the token was asked for while events were held');
    // Leaving the page (pagehide) while getToken() has not answered.
    await page.goto(pageUrl(stack.origin, user, { config: HELD }));
    await ready(page);
    assert.equal(await page.evaluate(() => window.gradvy.stats().queued), 5, 'the queue came back from IndexedDB');
    await page.evaluate(() => window.gradvy.flush());
    await assertExactlyOnce(user, ids);
    const refused = stack.exchanges.slice(since).filter((x) => x.status === 401);
    assert.deepEqual(refused, [], 'no request went out without a token');
  } finally {
    await browser.close();
  }
});

test('(a4) events held when the page hides go out with the page-hide send: the token was fetched while they waited', async () => {
  const user = newUser('hide-send');
  const browser = await launch();
  try {
    const page = await openPage(browser.context, stack.origin, user, { config: HELD });
    await grant(page);
    const ids = await track(page, 'hide-send', 3);
    // Nothing is due for 10 minutes, yet the token is fetched in the background.
    assert.ok(await waitFor(() => page.evaluate(() => window.gradvyTokensServed >= 1), 5000), 'getToken() was called and answered');
    const before = stack.exchanges.length;
    await page.goto('about:blank');
    await waitFor(async () => (await stack.sync.storedEventIds(user)).length >= 3, 10_000);
    assert.ok(stack.exchanges.slice(before).some((x) => x.path === '/v1/batch' && x.status === 200), 'sent on page hide');
    await assertExactlyOnce(user, ids);
  } finally {
    await browser.close();
  }
});

test('(a5) a page whose consent allows sending has its token before the first event; one without consent never asks', async () => {
  const user = newUser('token-early');
  const browser = await launch();
  try {
    const page = await openPage(browser.context, stack.origin, user, { config: HELD });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await page.evaluate(() => window.gradvyTokenCalls), 0, 'only essential granted: no token asked for');
    await grant(page);
    assert.ok(await waitFor(() => page.evaluate(() => window.gradvyTokensServed >= 1), 5000), 'asked for at the grant');
    await page.reload();
    await ready(page);
    assert.ok(await waitFor(() => page.evaluate(() => window.gradvyTokensServed >= 1), 5000), 'asked for at start');
    assert.equal(await page.evaluate(() => window.gradvy.stats().tracked), 0, 'before any event');
  } finally {
    await browser.close();
  }
});

test('(a6) a reload right after tracking, before the page\'s first token: the write begun before page hide lands', async () => {
  // Nothing can be sent (no token yet), so the events live only in the record written after they were
  // tracked; the reload begins while that write may still be in flight. A fresh browser each time: its
  // first writes are the slow ones (without an early commit, 5 to 9 of 20 such reloads lost the events).
  const kept = [];
  for (let i = 0; i < 6; i++) {
    const user = newUser('write-then-reload');
    const browser = await launch();
    try {
      const page = await openPage(browser.context, stack.origin, user, { config: HELD, tokenDelayMs: 600_000 });
      await grant(page);
      await page.evaluate(() => window.gradvy.persist());
      const ids = await track(page, 'write-then-reload', 5);
      await page.reload();
      await ready(page);
      const queued = (await page.evaluate(() => window.gradvy.exportData({ server: false }))).device.queued_events.map((e) => e.event.id);
      kept.push(ids.filter((id) => queued.includes(id)).length);
    } finally {
      await browser.close();
    }
  }
  assert.deepEqual(kept, Array(6).fill(5), 'every page kept its 5 events');
});

test('(b) offline for a while and back: everything arrives once', async () => {
  const user = newUser('offline');
  const browser = await launch();
  try {
    const page = await openPage(browser.context, stack.origin, user, { config: FAST });
    await grant(page);
    const first = await track(page, 'online', 3);
    await browser.context.setOffline(true);
    const during = await track(page, 'offline', 6);
    await new Promise((r) => setTimeout(r, 2500));
    const during2 = await track(page, 'offline2', 4);
    assert.ok(await page.evaluate(() => window.gradvy.stats().sent) <= 3, 'nothing sent while offline');
    await browser.context.setOffline(false);
    await assertExactlyOnce(user, [...first, ...during, ...during2]);
  } finally {
    await browser.close();
  }
});

test('(c) the server answering 503 for a while: retried per Retry-After, stored once', async () => {
  const user = newUser('outage');
  const browser = await launch();
  try {
    const page = await openPage(browser.context, stack.origin, user, { config: FAST });
    await grant(page);
    stack.fault.remaining = 4;
    stack.fault.status = 503;
    stack.fault.retryAfter = '1';
    const failedBefore = stack.counts.batchFailedByProxy;
    const ids = await track(page, 'outage', 8);
    await waitFor(() => stack.fault.remaining === 0, 20_000);
    const more = await track(page, 'after-outage', 2);
    await assertExactlyOnce(user, [...ids, ...more]);
    assert.equal(stack.counts.batchFailedByProxy - failedBefore, 4, 'the outage was really hit');
    const flushes = await page.evaluate(() => window.gradvyEvents.filter((e) => e.type === 'flush').map((e) => e.outcome));
    assert.ok(flushes.includes('retry_scheduled'));
    assert.ok(flushes.includes('acked'));
  } finally {
    stack.fault.remaining = 0;
    await browser.close();
  }
});

test('(d) two tabs: each event once; consent follows across tabs; a reloaded tab\'s queue is adopted', async () => {
  const user = newUser('tabs');
  const since = stack.exchanges.length;
  const browser = await launch();
  try {
    const tab1 = await openPage(browser.context, stack.origin, user, { config: FAST });
    await grant(tab1);
    const tab2 = await openPage(browser.context, stack.origin, user, { config: FAST });
    assert.deepEqual(await tab2.evaluate(() => window.gradvy.getConsent().granted),
      ['essential', 'analytics', 'personalization'], 'the new tab starts with the learner\'s consent');
    const ids = [];
    for (let round = 0; round < 3; round++) {
      ids.push(...await track(tab1, `t1-${round}`, 5));
      ids.push(...await track(tab2, `t2-${round}`, 5));
    }
    // Tab 2 withdraws marketing and grants it back: tab 1 follows live.
    await tab2.evaluate(() => window.gradvy.setConsent({ marketing: true }));
    await waitFor(() => tab1.evaluate(() => window.gradvy.getConsent().granted.includes('marketing')), 5000);
    assert.ok(await tab1.evaluate(() => window.gradvy.getConsent().granted.includes('marketing')));
    // A held queue in tab 2, then tab 2 reloads: the events are delivered once. Page hide sends them
    // with the token in memory (asked for at start, since consent allows sending); a page that hides
    // before its first token relies on its saved record instead, which is test (a3).
    assert.ok(await waitFor(() => tab2.evaluate(() => window.gradvyTokensServed >= 1), 10_000), 'tab 2 holds a token');
    ids.push(...await track(tab2, 't2-before-reload', 4));
    const reloadAt = Date.now();
    await tab2.reload();
    await ready(tab2);
    ids.push(...await track(tab1, 't1-last', 3));
    try {
      await assertExactlyOnce(user, ids, 30_000);
    } catch (error) {
      const stored = await stack.sync.storedEventIds(user);
      // Where undelivered events sit (queued, in flight, retry, parked, dropped) in each tab.
      const stats = await Promise.all([tab1, tab2].map((tab) => tab.evaluate(() => window.gradvy.stats()).catch(String)));
      error.message += `\ntab stats: ${JSON.stringify(stats)}`;
      // What reached the proxy: did the missing events never leave the page, or were they refused?
      const storedSet = new Set(stored);
      const missing = new Set(ids.filter((id) => !storedSet.has(id)));
      const exchanges = stack.exchanges.slice(since).map(({ ids: sent, at, ...x }) => ({ ms_after_reload: at - reloadAt, ...x, events: sent.length, missing: sent.filter((id) => missing.has(id)).length }));
      error.message += `\nexchanges: ${JSON.stringify(exchanges)}`;
      throw error;
    }
  } finally {
    await browser.close();
  }
});

test('consent off: the server receives nothing', async () => {
  const user = newUser('no-consent');
  const browser = await launch();
  try {
    const page = await openPage(browser.context, stack.origin, user, { config: FAST });
    const before = stack.counts.batchRequests;
    const outcomes = await page.evaluate(() => {
      const out = [];
      for (let i = 0; i < 10; i++) out.push(window.gradvy.track('course_interaction', { course_id: `x${i}`, action: 'view' }).queued);
      return out;
    });
    assert.deepEqual(outcomes, Array(10).fill(false));
    await page.evaluate(() => window.gradvy.flush());
    await new Promise((r) => setTimeout(r, 800));
    assert.equal(stack.counts.batchRequests, before, 'not one /v1/batch request');
    assert.deepEqual(await stack.sync.storedEventIds(user), []);
    assert.equal(await page.evaluate(() => window.gradvy.stats().dropped.no_consent), 10);
  } finally {
    await browser.close();
  }
});

test('withdrawing consent purges what was queued, in memory and in IndexedDB', async () => {
  const user = newUser('withdraw');
  const browser = await launch();
  try {
    const page = await openPage(browser.context, stack.origin, user, { config: HELD });
    await grant(page, { analytics: true });
    const ids = await track(page, 'withdraw', 6);
    await page.evaluate(() => window.gradvy.persist());
    const change = await page.evaluate(() => window.gradvy.setConsent({ analytics: false }));
    assert.equal(change.purged, 6);
    await page.reload();
    await ready(page);
    assert.equal(await page.evaluate(() => window.gradvy.stats().queued), 0, 'nothing comes back after a reload');
    await grant(page, { analytics: true });
    await page.evaluate(() => window.gradvy.flush());
    const stored = await stack.sync.storedEventIds(user);
    assert.ok(!stored.some((id) => ids.includes(id)), 'no purged event reached the server');
  } finally {
    await browser.close();
  }
});

test('state is encrypted at rest: IndexedDB holds ciphertext and a non-extractable key', async () => {
  const user = newUser('crypto');
  const browser = await launch();
  try {
    const page = await openPage(browser.context, stack.origin, user, { config: HELD });
    await grant(page);
    await page.evaluate(() => window.gradvy.track('course_interaction', { course_id: 'secret-course-42', action: 'view' }));
    await page.evaluate(() => window.gradvy.persist());
    const raw = await page.evaluate(async () => {
      const db = await new Promise((res, rej) => { const r = indexedDB.open('gradvy-personalize:default'); r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
      const get = (store, fn) => new Promise((res) => { const r = fn(db.transaction(store).objectStore(store)); r.onsuccess = () => res(r.result); });
      const records = await get('records', (s) => s.getAll());
      const key = await get('keys', (s) => s.get('aes-gcm'));
      const text = records.map((r) => new TextDecoder('latin1').decode(r.data)).join('');
      db.close();
      return { count: records.length, plaintextVisible: text.includes('secret-course-42'), keyType: key && key.constructor.name, extractable: key && key.extractable };
    });
    assert.ok(raw.count >= 1);
    assert.equal(raw.plaintextVisible, false);
    assert.equal(raw.keyType, 'CryptoKey');
    assert.equal(raw.extractable, false);
  } finally {
    await browser.close();
  }
});

test('forgetMe(): nothing left on the device (IndexedDB) or on the server', async () => {
  const user = newUser('forget');
  const browser = await launch();
  try {
    const page = await openPage(browser.context, stack.origin, user, { config: HELD });
    await grant(page);
    await track(page, 'sent', 4);
    await page.evaluate(() => window.gradvy.flush());
    await track(page, 'queued', 3);
    await page.evaluate(() => window.gradvy.persist());
    assert.equal((await stack.sync.storedEventIds(user)).length, 4);

    const receipt = await page.evaluate(() => window.gradvy.forgetMe());
    assert.equal(receipt.device.wiped, true);
    assert.equal(receipt.server.user_id, user);
    assert.ok(receipt.server.total_rows >= 4);
    await new Promise((r) => setTimeout(r, 300));
    const left = await page.evaluate(async () => {
      const dbs = (await indexedDB.databases()).filter((d) => d.name.startsWith('gradvy'));
      return { dbs: dbs.map((d) => d.name), queued: window.gradvy.stats().queued, granted: window.gradvy.getConsent().granted };
    });
    assert.deepEqual(left.dbs, [], 'the database (records and key) is gone');
    assert.equal(left.queued, 0);
    assert.deepEqual(left.granted, ['essential']);
    const exported = await stack.sync.api(user, 'GET', '/v1/me/export');
    assert.deepEqual(exported.body.events, []);
    assert.deepEqual(exported.body.consent, []);
    // A reload starts from nothing.
    await page.reload();
    await ready(page);
    assert.equal(await page.evaluate(() => window.gradvy.stats().queued), 0);
  } finally {
    await browser.close();
  }
});
