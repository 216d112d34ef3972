// track() as users call it (dist/, real wasm, real gradvy-sync on 127.0.0.1):
// the strings travel to the core as UTF-8 in reused wasm memory, so text of
// every script, events of every size and every refusal must come out as
// before — on the device and on the server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { distDir, startSync } from './helpers.mjs';

const { createPersonalizer, PersonalizeError } = await import(pathToFileURL(join(distDir, 'index.js')).href);

let sync;
before(async () => { sync = await startSync(); });
after(async () => { await sync?.stop(); });

let userSeq = 0;
async function make(config = {}) {
  const user = `track-${process.pid}-${++userSeq}`;
  const p = await createPersonalizer({
    endpoint: sync.url, userId: user, getToken: () => sync.token(user), autoFlush: false,
    config: { events: { custom_types: { x_note: 'analytics' } }, ...config },
  });
  await p.setConsent({ analytics: true, personalization: true });
  return { p, user };
}

/** The learner's events as the server stored them, by type. */
async function storedEvents(user) {
  const res = await sync.api(user, 'GET', '/v1/me/export');
  assert.equal(res.status, 200);
  return res.body.events.map((e) => e.event ?? e);
}

const refused = (fn, code) => assert.throws(fn, (e) => e instanceof PersonalizeError && e.code === code, `expected ${code}`);

test('non-ASCII props (accents, emoji, CJK) reach the queue and the server byte-exact', async () => {
  const { p, user } = await make();
  try {
    const query = 'café é 😀 学习 Ünïcödé';
    const note = { text: '日本語のノート 🎓', 'ключ': 'значение', mixed: 'a\u00e9b\u4e2dc\u{1F600}d',
      edges: '\u007f\u0080\u07ff\u0800\uffff\u{10000}\u{10FFFF}', long: 'ü学😀'.repeat(100) };
    assert.equal(p.track('search', { query, results_count: 2 }).queued, true);
    assert.equal(p.track('x_note', note, { page_url: '/über/学习', locale: 'ja-JP' }).queued, true);
    assert.equal(p.track('course_interaction', { course_id: 'py-101', action: 'view' }).queued, true, 'ASCII after non-ASCII');
    const device = (await p.exportData({ server: false })).device;
    const queued = JSON.stringify(device);
    assert.ok(queued.includes(query) && queued.includes(note.mixed), 'queued on the device as typed');
    assert.equal((await p.flush()).sent, 3);
    const events = await storedEvents(user);
    const byType = Object.fromEntries(events.map((e) => [e.type, e]));
    assert.equal(byType.search.props.query, query);
    assert.deepEqual(byType.x_note.props, note);
    assert.equal(byType.x_note.ctx.page_url, '/über/学习');
    assert.equal(byType.course_interaction.props.course_id, 'py-101');
  } finally {
    await p.destroy();
  }
});

test('props far larger than the previous ones still arrive whole, and small ones after them', async () => {
  const { p, user } = await make();
  try {
    p.track('x_note', { n: 1 });
    // ~20 KB of text (under the 32 KiB event bound), half of it 3-byte characters.
    const big = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`k${i}`, `${'学'.repeat(1000)}${'x'.repeat(1000)}`]));
    assert.equal(p.track('x_note', big).queued, true);
    assert.equal(p.track('x_note', { n: 2 }).queued, true);
    assert.equal((await p.flush()).sent, 3);
    const notes = (await storedEvents(user)).filter((e) => e.type === 'x_note').sort((a, b) => a.seq - b.seq);
    assert.deepEqual(notes.map((e) => e.props), [{ n: 1 }, big, { n: 2 }]);
  } finally {
    await p.destroy();
  }
});

test('refusals keep their codes: oversize, bad props, unknown or malformed type; a refused call keeps nothing', async () => {
  const { p } = await make();
  try {
    const over = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, 'é'.repeat(2000)]));
    refused(() => p.track('x_note', over), 'event_too_large');
    // Far over: past what the package keeps allocated between calls.
    const huge = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${i}`, 'z'.repeat(4000)]));
    refused(() => p.track('x_note', huge), 'event_too_large');
    refused(() => p.track('quiz_attempt', { score: 12, total_questions: 10, time_taken: 30 }), 'invalid_event');
    refused(() => p.track('no_such_type', {}), 'invalid_event');
    // A lone surrogate has no UTF-8 form: in the type it is written as U+FFFD (no type has one; the
    // message quotes it as such).
    assert.throws(() => p.track('x_n\uDC00ote', {}), (e) => e.code === 'invalid_event' && e.message.includes('"x_n\uFFFDote"'));
    // In props JSON.stringify escapes it (\ud800), and the core's JSON reader refuses that, as before.
    assert.throws(() => p.track('x_note', { text: 'a\uD800b' }), (e) => e.code === 'invalid_json' && /surrogate/.test(e.message));
    assert.equal(p.track('x_note', { text: 'pair \uD83D\uDE00 ok' }).queued, true, 'a surrogate pair is one character');
    // Not a string / not serialisable: a PersonalizeError, not a bare TypeError from the module.
    refused(() => p.track(42, {}), 'invalid_event');
    refused(() => p.track('x_note', () => 1), 'invalid_json');
    assert.equal(p.track('x_note', { after: 'refusals' }).queued, true);
    const stats = p.stats();
    assert.equal(stats.dropped.too_large, 2);
    assert.equal(stats.queued, 2);
  } finally {
    await p.destroy();
  }
});

test('without consent the event is dropped and counted, not stored', async () => {
  const { p } = await make();
  try {
    await p.setConsent({ analytics: false, personalization: false });
    const outcome = p.track('search', { query: 'ünïcödé 😀', results_count: 1 });
    assert.deepEqual({ ...outcome }, { queued: false, profiled: false, aggregated: false });
    assert.equal(p.stats().dropped.no_consent, 1);
    assert.equal(p.stats().queued, 0);
  } finally {
    await p.destroy();
  }
});

test('two personalizers in one module track independently', async () => {
  const a = await make();
  const b = await make();
  try {
    assert.equal(a.p.track('search', { query: 'für a', results_count: 1 }).queued, true);
    assert.equal(b.p.track('search', { query: 'for b 🅱', results_count: 1 }).queued, true);
    await a.p.destroy();
    assert.equal(b.p.track('search', { query: 'b again', results_count: 1 }).queued, true);
    assert.equal((await b.p.flush()).sent, 2);
    assert.deepEqual((await storedEvents(b.user)).map((e) => e.props.query).sort(), ['b again', 'for b 🅱']);
  } finally {
    await a.p.destroy();
    await b.p.destroy();
  }
});

test('the package writes the same UTF-8 as TextEncoder, lone surrogates as U+FFFD', async () => {
  const { writeUtf8 } = await import(pathToFileURL(join(distDir, 'wasm-track.js')).href);
  const heap = new Uint8Array(64 * 1024);
  const cases = ['', 'plain ascii {"a":1}', '\u007f\u0080\u07ff\u0800\ud7ff\ue000\uffff', '\u{10000}\u{1F600}\u{10FFFF}',
    'a\uD800', '\uDC00b', '\uD800\uD800\uDC00', '\uDBFF\uDFFF\uDC00', 'é'.repeat(500) + '学'.repeat(500)];
  for (let seed = 1; seed <= 200; seed++) {
    // Random UTF-16 units, biased to the edges of each UTF-8 length and to surrogates.
    const units = [0x41, 0x7f, 0x80, 0x7ff, 0x800, 0xd7ff, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xe000, 0xfffd, 0xffff];
    let x = seed;
    cases.push(String.fromCharCode(...Array.from({ length: 1 + (seed % 40) }, () => units[(x = (x * 1103515245 + 12345) & 0x7fffffff) % units.length])));
  }
  for (const text of cases) {
    const want = new TextEncoder().encode(text);
    const n = writeUtf8(text, heap, 7);
    assert.deepEqual(heap.subarray(7, 7 + n), want, JSON.stringify(text));
  }
});
