// The demo page as the tests see it: only the data-testid contract of issue #6,
// read and clicked the way a user would.
import { waitFor } from '../../browser/harness.mjs';

const PURPOSES = ['essential', 'analytics', 'personalization', 'marketing', 'social_integration', 'external_enrichment'];
export const SECTIONS = ['consent-panel', 'preferences-panel', 'recommendations', 'queue-inspector', 'profile-panel', 'data-rights'];

export class DemoPage {
  constructor(page, origin) {
    this.page = page;
    this.origin = origin;
  }

  tid(id) {
    return this.page.locator(`[data-testid="${id}"]`);
  }

  /** Loads `/` and waits until the personalizer and the candidates are loaded. */
  async open() {
    await this.page.goto(`${this.origin}/`);
    await this.ready();
  }

  async reload() {
    await this.page.reload();
    await this.ready();
  }

  async ready() {
    await this.page.locator('main[data-testid="demo"][data-ready="true"]').waitFor({ timeout: 30_000 });
  }

  async learnerId() {
    return (await this.tid('learner-id').innerText()).trim();
  }

  /** A counter of the queue inspector: the element's text, digits only. */
  async count(id) {
    const text = (await this.tid(id).innerText()).trim();
    if (!/^\d+$/.test(text)) throw new Error(`[data-testid=${id}] should hold digits only, has ${JSON.stringify(text)}`);
    return Number(text);
  }

  /** All queue counters at once (per-reason drops only where the page shows them). */
  async counters() {
    const out = {};
    for (const id of ['q-queued', 'q-in-flight', 'q-sent', 'q-dropped']) out[id] = await this.count(id);
    return out;
  }

  /** Events the page has accounted for: held, sent or dropped (grows by >= 1 per tracked event). */
  async accounted() {
    const c = await this.counters();
    return c['q-queued'] + c['q-in-flight'] + c['q-sent'] + c['q-dropped'];
  }

  /** Runs `action`, then waits until the queue inspector shows at least one more event accounted for. */
  async tracked(action) {
    const before = await this.accounted();
    await action();
    const after = await waitFor(async () => ((await this.accounted()) > before ? true : false), 10_000, 50);
    if (!after) throw new Error('the queue inspector did not count the event of the action');
  }

  async setConsent(purpose, on) {
    if (!PURPOSES.includes(purpose)) throw new Error(`unknown purpose ${purpose}`);
    const box = this.tid(`consent-${purpose}`);
    if (on) await box.check();
    else await box.uncheck();
    await waitFor(async () => (await box.isChecked()) === on, 10_000, 50);
  }

  async setOffline(on) {
    const box = this.tid('sim-offline');
    if (on) await box.check();
    else await box.uncheck();
  }

  /** Clicks flush-now and waits until nothing is queued or in flight any more. */
  async flushNow() {
    await this.tid('flush-now').click();
    const done = await waitFor(async () => {
      const c = await this.counters();
      return c['q-queued'] === 0 && c['q-in-flight'] === 0;
    }, 15_000, 100);
    if (!done) throw new Error(`flush-now left events behind: ${JSON.stringify(await this.counters())}`);
  }

  async source() {
    return this.tid('rec-source').getAttribute('data-source');
  }

  /** The rendered ranking: [{id, title, score, factors: {name: value}}], top first. */
  async ranking() {
    return this.page.$$eval('[data-testid="rec-item"]', (items) => items.map((el) => {
      const factors = {};
      for (const bar of el.querySelectorAll('[data-testid="rec-factor"]')) {
        factors[bar.getAttribute('data-factor')] = Number(bar.getAttribute('data-value'));
      }
      return {
        id: el.getAttribute('data-item-id'),
        title: el.querySelector('[data-testid="rec-title"]')?.textContent?.trim() ?? '',
        score: Number(el.querySelector('[data-testid="rec-score"]')?.textContent?.trim()),
        factors,
      };
    }));
  }

  item(id) {
    return this.page.locator(`[data-testid="rec-item"][data-item-id="${id}"]`);
  }

  /** act-view | act-enroll | act-progress | act-complete on item `id`. */
  async act(id, action) {
    await this.tracked(() => this.item(id).locator(`[data-testid="act-${action}"]`).click());
  }

  async quiz(id, score) {
    await this.item(id).locator('[data-testid="quiz-score"]').fill(String(score));
    await this.tracked(() => this.item(id).locator('[data-testid="act-quiz"]').click());
  }

  /** up | down | dismiss */
  async feedback(id, kind) {
    await this.tracked(() => this.item(id).locator(`[data-testid="fb-${kind}"]`).click());
  }

  /** The ranking once two reads 150 ms apart agree (a rerank after an input has rendered). */
  async stableRanking() {
    let last = JSON.stringify(await this.ranking());
    for (let i = 0; i < 50; i++) {
      await new Promise((r) => setTimeout(r, 150));
      const now = JSON.stringify(await this.ranking());
      if (now === last) return JSON.parse(now);
      last = now;
    }
    throw new Error('the ranking never settled');
  }

  /** Waits until the ranking satisfies `ok(ranking)`; returns it (or throws with the last one). */
  async rankingWhere(ok, what, timeoutMs = 10_000) {
    let last;
    const hit = await waitFor(async () => ok((last = await this.ranking())), timeoutMs, 100);
    if (!hit) throw new Error(`ranking never ${what}; last: ${JSON.stringify(last.map((r) => [r.id, r.score]))}`);
    return last;
  }
}
