// The demo end to end: its production build (`next start`) against a real
// gradvy-sync, driven in real Chromium only through the page's data-testid
// contract. What reached the server is read from the server's own export.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startStack } from './support/stack.mjs';
import { openBrowser, screenshot } from './support/browser.mjs';
import { DemoPage, SECTIONS } from './support/demo-page.mjs';
import { waitFor } from '../browser/harness.mjs';

let stack;
before(async () => { stack = await startStack(); });
after(async () => { await stack?.stop(); });

/** A fresh Chromium profile (so a new learner) with the demo open; closed after the test. */
async function session(t, viewport) {
  const browser = await openBrowser();
  t.after(async () => {
    if (browser.problems.length) t.diagnostic(`browser problems:\n${browser.problems.join('\n')}`);
    await browser.close();
  });
  const page = await browser.newPage(viewport);
  const demo = new DemoPage(page, stack.origin);
  await demo.open();
  return { browser, page, demo };
}

function assertCleanConsole(browser) {
  assert.deepEqual(browser.problems, [], 'no console error/warning and no page error');
}

/** One line per user action an event stands for; null for events no button makes. */
function actionOf(event) {
  const p = event.props ?? {};
  switch (event.type) {
    case 'course_interaction': return `course_interaction ${p.course_id} ${p.action}`;
    case 'quiz_attempt': return `quiz_attempt ${p.course_id} ${p.score}/${p.total_questions}`;
    case 'recommendation_feedback': return `recommendation_feedback ${p.item_id} ${p.feedback}`;
    default: return null;
  }
}

const sorted = (list) => [...list].sort();

test('consent off (default): clicking around sends nothing', async (t) => {
  const { browser, page, demo } = await session(t);
  await screenshot(page, 'cold-start');

  assert.match(await demo.learnerId(), /^learner-[0-9a-f]{16}$/);
  assert.equal(await demo.tid('consent-essential').isChecked(), true, 'essential is always on');
  assert.equal(await demo.tid('consent-essential').isDisabled(), true, 'essential cannot be turned off');
  for (const purpose of ['analytics', 'personalization', 'marketing', 'social_integration', 'external_enrichment']) {
    assert.equal(await demo.tid(`consent-${purpose}`).isChecked(), false, `${purpose} is off by default (opt-in)`);
  }
  assert.equal(await demo.source(), 'fallback', 'no consent: the ranking says it is not personalized');

  const ranking = await demo.ranking();
  assert.ok(ranking.length >= 4, `the page lists recommendations (got ${ranking.length})`);
  const [a, b, c, d] = ranking.map((r) => r.id);
  await demo.act(a, 'view');
  await demo.act(a, 'enroll');
  await demo.act(a, 'progress');
  await demo.quiz(a, 6);
  await demo.act(a, 'complete');
  await demo.feedback(b, 'up');
  await demo.feedback(c, 'down');
  await demo.feedback(d, 'dismiss');
  const actions = 8;
  await demo.tid('ctl-free-only').click();
  await demo.tid('ctl-ratings').click();
  await demo.tid('ctl-diversity').fill('0.2');
  await demo.tid('ctl-free-only').click();
  await demo.tid('ctl-ratings').click();
  await demo.flushNow();

  const counters = await demo.counters();
  assert.equal(counters['q-sent'], 0, 'nothing sent');
  await waitFor(async () => (await demo.count('q-dropped-no_consent')) >= actions, 5000, 50);
  assert.ok(await demo.count('q-dropped-no_consent') >= actions, 'every action was dropped for lack of consent');
  const stored = await stack.exportFor(await demo.learnerId());
  assert.deepEqual(stored.events, [], 'the server holds no event of this learner');
  assert.deepEqual(stored.batches, [], 'the server never received a batch from this learner');
  assertCleanConsole(browser);
});

test('consent on: every action reaches the server exactly once and changes the ranking', async (t) => {
  const { browser, page, demo } = await session(t);
  const noConsentLabel = (await demo.tid('rec-source').innerText()).trim();
  await demo.setConsent('analytics', true);
  await demo.setConsent('personalization', true);
  assert.equal(await demo.source(), 'fallback', 'a cold profile falls back');
  const coldLabel = await waitFor(async () => {
    const text = (await demo.tid('rec-source').innerText()).trim();
    return text !== noConsentLabel ? text : null;
  }, 5000, 100);
  assert.ok(coldLabel, `the fallback says why: cold start and no consent are labelled apart ("${noConsentLabel}")`);

  const expected = [];
  const first = await demo.ranking();
  const a = first[0].id;
  await demo.act(a, 'view');
  expected.push(`course_interaction ${a} view`);
  await demo.act(a, 'enroll');
  expected.push(`course_interaction ${a} enroll`);
  await demo.act(a, 'progress');
  expected.push(`course_interaction ${a} progress`);
  await demo.quiz(a, 8);
  expected.push(`quiz_attempt ${a} 8/10`);
  const warm = await waitFor(async () => (await demo.source()) === 'personalized', 10_000, 100);
  assert.ok(warm, `rec-source switches to personalized after ${expected.length} signals (is ${await demo.source()})`);

  const personalized = await demo.ranking();
  for (const item of personalized) {
    const sum = Object.values(item.factors).reduce((s, v) => s + v, 0);
    assert.ok(Math.abs(sum - item.score) < 0.02, `${item.id}: factor bars sum to the score (${sum} vs ${item.score})`);
  }
  await screenshot(page, 'consent-on-personalized');
  await screenshot(page, 'readme', { fullPage: false }); // first screen; copied to docs/images/demo.png for the README

  const b = personalized.find((r) => r.id !== a).id;
  await demo.act(b, 'view');
  expected.push(`course_interaction ${b} view`);
  await demo.feedback(b, 'up');
  expected.push(`recommendation_feedback ${b} thumbs_up`);

  // 👎 on the top item not touched yet: it moves down (or leaves) and its neighbours lose score.
  // Diversity 0 keeps similar items together in the list, so the neighbours are on screen.
  await demo.tid('ctl-diversity').fill('0');
  const beforeDown = await demo.stableRanking();
  const c = beforeDown.find((r) => r.id !== a && r.id !== b).id;
  const cRankBefore = beforeDown.findIndex((r) => r.id === c);
  await demo.feedback(c, 'down');
  expected.push(`recommendation_feedback ${c} thumbs_down`);
  const afterDown = await demo.rankingWhere((r) => {
    const i = r.findIndex((x) => x.id === c);
    return i === -1 || i > cRankBefore;
  }, `moved ${c} down from rank ${cRankBefore}`);
  const scoreBefore = new Map(beforeDown.map((r) => [r.id, r.score]));
  const neighbours = afterDown.filter((r) => r.id !== c && (r.factors.feedback ?? 0) < 0);
  assert.ok(neighbours.length > 0, 'items near the 👎 carry a negative feedback factor');
  const dropped = neighbours.filter((r) => scoreBefore.has(r.id) && r.score < scoreBefore.get(r.id));
  assert.ok(dropped.length > 0, `a neighbour of ${c} scores lower than before the 👎: ${JSON.stringify(neighbours.map((r) => [r.id, scoreBefore.get(r.id), r.score]))}`);

  // Dismissed: gone, and stays gone when the list is reranked with other controls.
  const d = afterDown.find((r) => ![a, b, c].includes(r.id)).id;
  await demo.feedback(d, 'dismiss');
  expected.push(`recommendation_feedback ${d} dismissed`);
  await demo.rankingWhere((r) => !r.some((x) => x.id === d), `dropped the dismissed ${d}`);
  await demo.tid('ctl-ratings').click();
  await demo.tid('ctl-diversity').fill('0.9');
  const reranked = await demo.stableRanking();
  assert.ok(!reranked.some((r) => r.id === d), 'the dismissed item does not come back on a rerank');
  await demo.tid('ctl-ratings').click();

  // Completed: left out of the ranking (the top item, since the 👎 may have pushed `a` off screen).
  const done = (await demo.stableRanking())[0].id;
  await demo.act(done, 'complete');
  expected.push(`course_interaction ${done} complete`);
  await demo.rankingWhere((r) => !r.some((x) => x.id === done), `dropped the completed ${done}`);

  // The page also queues recommendation_impression events (1 s after a new list shows): flush
  // until the page and the server agree and nothing is left, then compare.
  const learner = await demo.learnerId();
  let events = [];
  let sent = -1;
  await waitFor(async () => {
    await demo.flushNow();
    events = (await stack.exportFor(learner)).events;
    sent = await demo.count('q-sent');
    return sent === events.length && (await demo.count('q-queued')) === 0;
  }, 15_000, 500);
  assert.equal(sent, events.length, 'q-sent equals the number of events the server holds');
  assert.equal(new Set(events.map((e) => e.id)).size, events.length, 'event ids are unique');
  for (const e of events) assert.equal(e.user_id, learner, 'events carry the pseudonymous learner id');
  assert.deepEqual(sorted(events.map(actionOf).filter(Boolean)), sorted(expected), 'each action stored exactly once');
  const others = events.filter((e) => !actionOf(e)).map((e) => e.type);
  assert.deepEqual([...new Set(others)].filter((type) => type !== 'recommendation_impression'), [],
    'besides the actions, only impressions of the shown lists are sent');
  t.diagnostic(`server events: ${events.length} (${expected.length} actions, ${others.length} impressions)`);
  const lastBatch = JSON.parse(await demo.tid('q-last-batch').innerText());
  const storedIds = new Set(events.map((e) => e.id));
  assert.ok(lastBatch.events.length > 0 && lastBatch.events.every((e) => storedIds.has(e.id)),
    'q-last-batch shows the JSON of a batch the server stored');

  for (const chart of ['chart-topics', 'chart-hours', 'chart-engagement', 'chart-dropout']) {
    const svg = await demo.tid(chart).evaluate((el) => (el.tagName.toLowerCase() === 'svg' ? el : el.querySelector('svg')) !== null);
    assert.ok(svg, `${chart} is drawn as an SVG chart`);
  }
  assert.notEqual((await demo.tid('insights').innerText()).trim(), '', 'insights are shown');
  await demo.tid('profile-panel').scrollIntoViewIfNeeded();
  await screenshot(demo.tid('profile-panel'), 'profile-charts');
  assertCleanConsole(browser);
});

test('withdrawing analytics purges the queued events; they never reach the server', async (t) => {
  const { browser, demo } = await session(t);
  // Analytics only: every action below is an analytics event, so all of them are withdrawn.
  await demo.setConsent('analytics', true);
  await demo.setOffline(true);
  const [a, b] = (await demo.ranking()).map((r) => r.id);
  await demo.act(a, 'view');
  await demo.act(a, 'enroll');
  await demo.act(b, 'view');
  await demo.quiz(b, 5);
  await waitFor(async () => (await demo.count('q-queued')) >= 4, 5000, 50);
  const queued = await demo.count('q-queued');
  assert.ok(queued >= 4, `the offline actions are queued (q-queued=${queued})`);
  await demo.tid('queue-inspector').scrollIntoViewIfNeeded();
  await screenshot(demo.tid('queue-inspector'), 'queue-offline-queued');

  const withdrawnBefore = await demo.count('q-dropped-consent_withdrawn');
  await demo.setConsent('analytics', false);
  const purged = await waitFor(async () => (await demo.count('q-queued')) === 0, 10_000, 50);
  assert.ok(purged, 'q-queued drops to 0 when analytics is withdrawn');
  assert.ok(await demo.count('q-dropped-consent_withdrawn') - withdrawnBefore >= queued, 'the purged events are counted');

  await demo.setOffline(false);
  await demo.flushNow();
  await new Promise((r) => setTimeout(r, 1000)); // a late send would land now
  assert.equal(await demo.count('q-sent'), 0);
  const stored = await stack.exportFor(await demo.learnerId());
  assert.deepEqual(stored.events, [], 'the server never received the withdrawn events');
  assertCleanConsole(browser);
});

test('forget me: the server forgets the learner and a reload starts fresh', async (t) => {
  const { browser, page, demo } = await session(t);
  await demo.setConsent('analytics', true);
  await demo.setConsent('personalization', true);
  const a = (await demo.ranking())[0].id;
  await demo.act(a, 'view');
  await demo.act(a, 'enroll');
  await demo.quiz(a, 9);
  await demo.flushNow();
  const learner = await demo.learnerId();
  const before = await stack.exportFor(learner);
  assert.ok(before.events.length >= 3, 'precondition: the server holds the events');

  // Export first: the download holds the device state and exactly what the server holds.
  const [download] = await Promise.all([page.waitForEvent('download'), demo.tid('export-data').click()]);
  assert.equal(download.suggestedFilename(), 'gradvy-export.json');
  const exported = JSON.parse(await readFile(await download.path(), 'utf8'));
  assert.equal(typeof exported.device, 'object', 'the export holds the device state');
  assert.deepEqual(sorted(exported.server.events.map((e) => e.id)), sorted(before.events.map((e) => e.id)),
    'the export holds the server\'s events');

  page.on('dialog', (dialog) => dialog.accept()); // a confirm() before deleting is fine; accept it
  await demo.tid('forget-me').click();
  const receipt = demo.tid('forget-receipt');
  await receipt.waitFor({ state: 'visible', timeout: 15_000 });
  const shown = await waitFor(async () => (await receipt.innerText()).includes(learner), 10_000, 100);
  assert.ok(shown, `forget-receipt shows the server's receipt for ${learner}: ${await receipt.innerText()}`);
  await receipt.scrollIntoViewIfNeeded();
  await screenshot(demo.tid('data-rights'), 'forget-receipt');

  const stored = await stack.exportFor(learner);
  assert.deepEqual(stored.events, [], 'no event left on the server');
  assert.deepEqual(stored.batches, [], 'no batch left on the server');
  assert.deepEqual(stored.consent, [], 'no consent history left on the server');

  await demo.reload();
  const fresh = await demo.learnerId();
  assert.equal(await demo.source(), 'fallback', 'a fresh profile gets the fallback ranking');
  assert.equal(await demo.tid('consent-analytics').isChecked(), false, 'consent starts over (opt-in)');
  if (fresh === learner) {
    assert.equal((await demo.tid('insights').innerText()).trim(), '', 'same learner id: the profile must be empty');
  }
  assert.deepEqual((await stack.exportFor(fresh)).events, [], 'nothing stored for the fresh learner');
  assertCleanConsole(browser);
});

for (const [name, viewport] of [['mobile-375', { width: 375, height: 812 }], ['desktop-1280', { width: 1280, height: 800 }]]) {
  test(`layout at ${viewport.width} px: no horizontal scroll, every section visible`, async (t) => {
    const { browser, page, demo } = await session(t, viewport);
    const boxes = {};
    for (const id of SECTIONS) {
      const section = demo.tid(id);
      await section.scrollIntoViewIfNeeded();
      assert.ok(await section.isVisible(), `${id} is visible`);
      boxes[id] = await section.boundingBox();
      assert.ok(boxes[id].width > 0 && boxes[id].height > 0, `${id} has a size`);
    }
    const { scrollWidth, innerWidth } = await page.evaluate(() => ({
      scrollWidth: document.scrollingElement.scrollWidth, innerWidth: window.innerWidth,
    }));
    assert.ok(scrollWidth <= innerWidth, `no horizontal scroll (scrollWidth ${scrollWidth} > innerWidth ${innerWidth})`);
    for (const id of SECTIONS) {
      const box = await demo.tid(id).boundingBox();
      assert.ok(box.x >= 0 && box.x + box.width <= innerWidth + 0.5, `${id} fits the width: ${JSON.stringify(box)}`);
    }
    // Stacked on mobile, a grid on desktop (>= 1024 px): do two sections share a row?
    const list = Object.values(boxes);
    const sideBySide = list.some((p, i) => list.some((q, j) => j !== i && p.x + p.width <= q.x + 1 &&
      p.y < q.y + q.height && q.y < p.y + p.height));
    assert.equal(sideBySide, viewport.width >= 1024, viewport.width >= 1024 ? 'sections form a grid' : 'sections are stacked');
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, name, { fullPage: viewport.width >= 1024 }); // the phone one: the first screen, readable
    assertCleanConsole(browser);
  });
}
