// Real Chromium with navigator.locks removed (a browser without Web Locks):
// the BroadcastChannel lease keeps one writer per record and per send, so two
// tabs still deliver every event exactly once, a live tab's queue is never
// taken by another tab, and a closed tab's queue is taken over and delivered.
// Checked on the wire (no event in two different batches) and in the server's
// own export (each event stored once, nothing else).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, launch, openPage, ready, waitFor } from './harness.mjs';
import { FAST, HELD, newUser, track, grant, assertStoredExactlyOnce } from './delivery-support.mjs';

let stack;
before(async () => { stack = await startStack(); });
after(async () => { await stack?.stop(); });


/** A Chromium whose pages have no Web Locks; records every POST /v1/batch body any page sends. */
async function launchWithoutWebLocks() {
  const browser = await launch();
  await browser.context.addInitScript(() => { delete Navigator.prototype.locks; });
  const batches = [];
  browser.context.on('request', (r) => {
    if (r.method() === 'POST' && new URL(r.url()).pathname === '/v1/batch') {
      const body = JSON.parse(r.postData());
      batches.push({ batchId: body.batch_id, ids: body.events.map((e) => e.id) });
    }
  });
  return { ...browser, batches };
}

async function assertFallbackInUse(page) {
  const kind = await page.evaluate(async () => ({ hasLocks: 'locks' in navigator, kind: (await import('/dist/lock.js')).locks.kind }));
  assert.deepEqual(kind, { hasLocks: false, kind: 'broadcast-channel' });
}

/** Each expected event stored once and nothing else; on the wire, no event travelled in two different batches. */
async function assertExactlyOnce(user, expected, batches, timeoutMs = 30_000) {
  await assertStoredExactlyOnce(stack, user, expected, timeoutMs);
  const batchOf = new Map();
  for (const b of batches) {
    for (const id of b.ids) {
      const seen = batchOf.get(id);
      assert.ok(seen === undefined || seen === b.batchId, `event ${id} was sent in two batches (${seen}, ${b.batchId})`);
      batchOf.set(id, b.batchId);
    }
  }
}

test('without Web Locks, two tabs: each event once; consent follows; a reloaded tab\'s queue is adopted', async () => {
  const user = newUser('bc-tabs');
  const browser = await launchWithoutWebLocks();
  try {
    const tab1 = await openPage(browser.context, stack.origin, user, { config: FAST });
    await assertFallbackInUse(tab1);
    await grant(tab1);
    const tab2 = await openPage(browser.context, stack.origin, user, { config: FAST });
    assert.deepEqual(await tab2.evaluate(() => window.gradvy.getConsent().granted),
      ['essential', 'analytics', 'personalization'], 'the new tab starts with the learner\'s consent');
    const ids = [];
    for (let round = 0; round < 4; round++) {
      ids.push(...await track(tab1, `t1-${round}`, 5));
      ids.push(...await track(tab2, `t2-${round}`, 5));
      await new Promise((r) => setTimeout(r, 150)); // both tabs send while the other does
    }
    await tab2.evaluate(() => window.gradvy.setConsent({ marketing: true }));
    assert.ok(await waitFor(() => tab1.evaluate(() => window.gradvy.getConsent().granted.includes('marketing')), 5000));
    ids.push(...await track(tab2, 't2-before-reload', 4));
    await tab2.reload();
    await ready(tab2);
    ids.push(...await track(tab1, 't1-last', 3));
    ids.push(...await track(tab2, 't2-after-reload', 3));
    await assertExactlyOnce(user, ids, browser.batches);
    assert.ok(browser.batches.length >= 4, `several batches from both tabs (${browser.batches.length})`);
  } finally {
    await browser.close();
  }
});

test('without Web Locks, a live tab keeps its queue; once the tab is closed another tab takes it over', async () => {
  const user = newUser('bc-takeover');
  const browser = await launchWithoutWebLocks();
  const quiet = { config: HELD, options: { autoFlush: false } };
  try {
    const tab1 = await openPage(browser.context, stack.origin, user, quiet);
    await assertFallbackInUse(tab1);
    await grant(tab1);
    const tab2 = await openPage(browser.context, stack.origin, user, quiet);
    const held2 = await track(tab2, 'tab2', 6);
    await tab2.evaluate(() => window.gradvy.persist());
    const own1 = await track(tab1, 'tab1', 2);

    // tab2 is alive: tab1's flush (which drains orphaned records) must leave tab2's record alone.
    await tab1.evaluate(() => window.gradvy.flush());
    assert.deepEqual((await stack.sync.storedEventIds(user)).sort(), [...own1].sort(), 'only tab1\'s own events were sent');
    assert.equal(await tab2.evaluate(() => window.gradvy.stats().queued), 6, 'tab2 still holds its queue');

    // tab2 goes away without sending (autoFlush off): its record is an orphan; tab1 drains it.
    await tab2.close();
    await tab1.evaluate(() => window.gradvy.flush());
    await assertExactlyOnce(user, [...own1, ...held2], browser.batches);
  } finally {
    await browser.close();
  }
});

test('without Web Locks, a tab blocked while another adopts its record moves to a fresh record: nothing is lost', async () => {
  const user = newUser('bc-frozen');
  const browser = await launchWithoutWebLocks();
  const quiet = { config: HELD, options: { autoFlush: false } };
  try {
    const tab2 = await openPage(browser.context, stack.origin, user, quiet);
    await grant(tab2);
    const before = await track(tab2, 'before-freeze', 3);
    await tab2.evaluate(() => window.gradvy.persist());

    // tab2's main thread is blocked for longer than the claim window (a frozen or hung tab): it cannot
    // answer, so a new tab takes its record as an orphan's.
    const blocked = tab2.evaluate(() => { const end = Date.now() + 8_000; while (Date.now() < end) { /* hung */ } });
    await new Promise((r) => setTimeout(r, 300));
    const tab3 = await openPage(browser.context, stack.origin, user, quiet);
    assert.equal(await tab3.evaluate(() => window.gradvy.stats().queued), 3, 'tab3 adopted the blocked tab\'s record');
    await blocked;

    // Both now hold that record's lock; each hears the other and moves to a fresh record.
    await new Promise((r) => setTimeout(r, 2500));
    const only2 = await track(tab2, 'only-in-tab2', 2);
    await tab2.evaluate(() => window.gradvy.persist());
    const only3 = await track(tab3, 'only-in-tab3', 2);
    await tab3.evaluate(() => window.gradvy.persist());
    await tab2.close(); // autoFlush off: tab2 sends nothing; its events are only in its record

    await tab3.evaluate(() => window.gradvy.flush());
    // Frozen-tab events may travel twice (deduped by the server); none may be missing.
    const expected = [...before, ...only2, ...only3];
    await waitFor(async () => (await stack.sync.storedEventIds(user)).length >= expected.length, 20_000);
    await new Promise((r) => setTimeout(r, 700));
    const stored = await stack.sync.storedEventIds(user);
    assert.equal(new Set(stored).size, stored.length, 'no event stored twice');
    assert.deepEqual([...stored].sort(), [...expected].sort(), 'every event stored, nothing else');
  } finally {
    await browser.close();
  }
});
