// The BroadcastChannel lease (the cross-tab lock of browsers without Web
// Locks), with several "tabs" as separate ChannelLocks on real Node
// BroadcastChannels: one holder at a time, tryHold defends a live holder,
// waiters get the name on release, and a tab that vanishes loses its names.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { distDir } from './helpers.mjs';

const moduleUrl = pathToFileURL(join(distDir, 'channel-lock.js')).href;
const { ChannelLocks } = await import(moduleUrl);

let channelSeq = 0;
const busy = (ms) => { const end = Date.now() + ms; while (Date.now() < end) { /* a long task */ } };
const open = [];
/** n tabs on a channel of their own, with short timings so the tests stay fast. */
function tabs(n, timing = {}) {
  const channelName = `test-locks-${process.pid}-${++channelSeq}`;
  const list = Array.from({ length: n }, () => new ChannelLocks({ channelName, claimWindowMs: 40, politeClaimWindowMs: 20, heartbeatMs: 100, leaseMs: 300, ...timing }));
  open.push(...list);
  return list;
}
after(() => { for (const t of open) t.abandon(); });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('tryHold: a name held by another tab is refused; free again after release', async () => {
  const [a, b] = tabs(2);
  const release = await a.tryHold('rec');
  assert.equal(typeof release, 'function');
  assert.equal(await b.tryHold('rec'), null, 'a live holder answers the claim');
  assert.equal(await a.tryHold('rec'), null, 'also within the holder\'s own tab');
  release();
  await sleep(20);
  const again = await b.tryHold('rec');
  assert.equal(typeof again, 'function');
  again();
});

test('two tabs claiming the same free name at once: exactly one wins', async () => {
  for (let round = 0; round < 10; round++) {
    const [a, b, c] = tabs(3);
    const results = await Promise.all([a.tryHold('x'), b.tryHold('x'), c.tryHold('x')]);
    assert.equal(results.filter(Boolean).length, 1, `round ${round}: one winner`);
    for (const r of results) r?.();
  }
});

test('hold(): mutual exclusion across tabs and within a tab, nobody starves', async () => {
  const list = tabs(3);
  let inside = 0;
  let maxInside = 0;
  const order = [];
  const worker = async (tab, who, times) => {
    for (let i = 0; i < times; i++) {
      const release = await tab.hold('send');
      inside++;
      maxInside = Math.max(maxInside, inside);
      order.push(who);
      await sleep(5);
      inside--;
      release();
    }
  };
  await Promise.all([
    worker(list[0], 'a', 4), worker(list[0], 'a2', 4), worker(list[1], 'b', 4), worker(list[2], 'c', 4),
  ]);
  assert.equal(maxInside, 1, 'never two holders at once');
  assert.equal(order.length, 16);
  for (const who of ['a', 'a2', 'b', 'c']) assert.equal(order.filter((x) => x === who).length, 4);
});

test('takeover: a tab that vanishes while holding (no release) loses the name after the lease', async () => {
  const [a, b] = tabs(2);
  await a.hold('send', 'polite');
  const started = Date.now();
  let got = false;
  const waiting = b.hold('send', 'polite').then((release) => { got = true; return release; });
  await sleep(600);
  assert.equal(got, false, 'a live holder keeps the name past the lease (heartbeats)');
  const vanishedAt = Date.now();
  a.abandon(); // a crashed tab says nothing
  const release = await waiting;
  const tookMs = Date.now() - vanishedAt;
  assert.ok(tookMs < 1_500, `taken over within about a lease (${tookMs} ms)`);
  assert.ok(Date.now() - started >= 600);
  assert.deepEqual(b.heldNames(), ['send']);
  release();
});

test('a tab whose heartbeat is late still defends its name: takeover needs an unanswered claim', async () => {
  // The holder never beats within the lease (a throttled background tab) but answers claims at once.
  const [a, b] = tabs(2, { heartbeatMs: 60_000 });
  const release = await a.hold('rec');
  let got = false;
  const waiting = b.hold('rec').then((r) => { got = true; return r; });
  await sleep(1000); // three leases
  assert.equal(got, false, 'the holder answered every re-claim');
  release();
  (await waiting)();
  assert.equal(got, true);
});

test('close() announces the release: a waiter gets the name without waiting for the lease', async () => {
  const [a, b] = tabs(2, { leaseMs: 5_000 });
  await a.hold('rec');
  const waiting = b.hold('rec');
  await sleep(60);
  const closedAt = Date.now();
  a.close();
  (await waiting)();
  assert.ok(Date.now() - closedAt < 1_000, 'well before the 5 s lease');
});

/** A "tab" on its own thread: holds `name`, then on request blocks its thread for `ms` (a long task). */
function holderThread(channelName, name, windowMs) {
  const worker = new Worker(`
    const { parentPort, workerData } = require('node:worker_threads');
    (async () => {
      const { ChannelLocks } = await import(workerData.moduleUrl);
      const locks = new ChannelLocks({ channelName: workerData.channelName, claimWindowMs: workerData.windowMs, heartbeatMs: 100, leaseMs: 300 });
      await locks.hold(workerData.name, 'strict', () => parentPort.postMessage('lost'));
      parentPort.on('message', (ms) => {
        parentPort.postMessage('stalling');
        const end = Date.now() + ms;
        while (Date.now() < end) { /* a long task */ }
      });
      parentPort.postMessage('holding');
    })();
  `, { eval: true, workerData: { moduleUrl, channelName, name, windowMs } });
  const next = () => new Promise((r) => worker.once('message', r));
  return { worker, next };
}

test('a holder busy with a long task shorter than the claim window keeps a strict lock', async () => {
  const channelName = `test-locks-${process.pid}-${++channelSeq}`;
  const holder = holderThread(channelName, 'rec', 600);
  try {
    assert.equal(await holder.next(), 'holding');
    const other = new ChannelLocks({ channelName, claimWindowMs: 600, heartbeatMs: 100, leaseMs: 300 });
    open.push(other);
    holder.worker.postMessage(300);
    assert.equal(await holder.next(), 'stalling');
    assert.equal(await other.tryHold('rec'), null, 'the holder answered once its long task ended');
  } finally {
    await holder.worker.terminate();
  }
});

test('a claimant whose own thread was busy reads the answers that came meanwhile before deciding', async () => {
  const channelName = `test-locks-${process.pid}-${++channelSeq}`;
  const holder = holderThread(channelName, 'rec', 40);
  try {
    assert.equal(await holder.next(), 'holding');
    const other = new ChannelLocks({ channelName, claimWindowMs: 40, heartbeatMs: 100, leaseMs: 300 });
    open.push(other);
    const result = other.tryHold('rec');
    busy(300); // the claim window ends during this; the holder's answer is already queued
    assert.equal(await result, null);
  } finally {
    await holder.worker.terminate();
  }
});

test('a holder frozen past the claim window loses the name to a claimant, and both are told', async () => {
  const channelName = `test-locks-${process.pid}-${++channelSeq}`;
  const holder = holderThread(channelName, 'rec', 100);
  try {
    assert.equal(await holder.next(), 'holding');
    const other = new ChannelLocks({ channelName, claimWindowMs: 100, heartbeatMs: 100, leaseMs: 300 });
    open.push(other);
    let otherLost = false;
    holder.worker.postMessage(600);
    assert.equal(await holder.next(), 'stalling');
    const release = await other.tryHold('rec', 'strict', () => { otherLost = true; });
    assert.equal(typeof release, 'function', 'a silent holder counts as gone');
    assert.equal(await holder.next(), 'lost', 'the frozen holder learns on waking that another tab took the name');
    await waitUntil(() => otherLost, 2_000);
    assert.equal(otherLost, true, 'and the new holder hears the old one\'s heartbeat');
    release();
  } finally {
    await holder.worker.terminate();
  }
});

async function waitUntil(fn, ms) {
  const end = Date.now() + ms;
  while (!fn() && Date.now() < end) await sleep(20);
}
