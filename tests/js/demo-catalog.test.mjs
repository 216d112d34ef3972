// The demo catalog (demo/catalog.json, built from demo/catalog/tracks/*.txt) as a
// developer meets it: served by a real gradvy-sync, with embeddings that mean
// something, and coherent learning paths.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { root, distDir, startSync } from './helpers.mjs';

const demoCatalogFile = join(root, 'demo/catalog.json');
const buildScript = join(root, 'demo/catalog/build-catalog.mjs');
const catalog = JSON.parse(readFileSync(demoCatalogFile, 'utf8'));

// An idle keep-alive connection holds the server's shutdown for seconds.
const closeAfter = { Connection: 'close' };

let sync;
let served;
before(async () => {
  // A later --catalog overrides the fixture catalog startSync passes.
  sync = await startSync({ extraArgs: ['--catalog', demoCatalogFile] });
  const res = await fetch(`${sync.url}/v1/candidates`, {
    headers: { ...closeAfter, Authorization: `Bearer ${sync.token('learner-demo-catalog')}` },
  });
  assert.equal(res.status, 200);
  served = await res.json();
});
after(async () => { await sync?.stop(); });

const dot = (a, b) => a.reduce((s, x, i) => s + x * b[i], 0);
const tracksOf = (items) => [...new Set(items.map((i) => i.course))];

test('the committed catalog.json is what build-catalog.mjs makes from the track tables', () => {
  const run = spawnSync(process.execPath, [buildScript, '--check'], { encoding: 'utf8' });
  assert.equal(run.status, 0, `build-catalog --check failed: ${run.stderr}`);
  assert.match(run.stdout, /up to date \(\d+ items in \d+ tracks\)/);
});

test('gradvy-sync loads the demo catalog without warnings and serves every item unchanged', () => {
  const complaints = sync.stderr().split('\n').filter((l) => l.trim() !== '');
  assert.deepEqual(complaints, [], 'no warning or error lines at --log-level warn');
  assert.ok(catalog.items.length >= 250 && catalog.items.length <= 400, `a few hundred items (${catalog.items.length})`);
  assert.deepEqual(served.items.map((i) => i.id), catalog.items.map((i) => i.id), 'all items, catalog order');
  for (const [n, item] of catalog.items.entries()) {
    for (const [key, value] of Object.entries(item)) {
      assert.deepEqual(served.items[n][key], value, `${item.id}.${key} passes through as written`);
    }
  }
});

test('items read like a real catalog: ids, levels, types, durations, ratings, dates, free and paid', () => {
  const types = new Set(['video', 'article', 'interactive', 'quiz', 'project']);
  const threeYearsMs = 3 * 366 * 86_400_000;
  const newest = Math.max(...catalog.items.map((i) => i.published_at));
  for (const item of catalog.items) {
    assert.match(item.id, /^[A-Za-z0-9._:/-]{1,128}$/);
    assert.ok(item.title.length >= 8, `${item.id} has a title`);
    assert.ok([1, 2, 3].includes(item.difficulty), `${item.id}.difficulty`);
    assert.ok(types.has(item.content_type), `${item.id}.content_type ${item.content_type}`);
    assert.ok(item.duration_min > 0, `${item.id}.duration_min`);
    assert.ok(item.rating >= 3.6 && item.rating <= 4.9, `${item.id}.rating ${item.rating}`);
    assert.ok(Number.isInteger(item.rating_count) && item.rating_count > 0, `${item.id}.rating_count`);
    assert.ok(newest - item.published_at <= threeYearsMs, `${item.id} published within ~3 years`);
    for (const t of item.topics) assert.match(t, /^[a-z0-9]+(-[a-z0-9]+)*$/, `${item.id} topic '${t}'`);
  }
  for (const type of types) assert.ok(catalog.items.some((i) => i.content_type === type), `some ${type} items`);
  const free = catalog.items.filter((i) => i.free).length;
  assert.ok(free > 0.25 * catalog.items.length && free < 0.75 * catalog.items.length, `a mix of free and paid (${free} free)`);
  assert.ok(catalog.items.some((i) => i.rating_count < 100), 'some new items with few ratings');
  const months = new Set(catalog.items.map((i) => new Date(i.published_at).toISOString().slice(0, 7)));
  assert.ok(months.size >= 30, `publication dates spread over the years (${months.size} distinct months)`);
  // Topics shared across tracks are what lets one interest carry over to another track.
  const tracksByTopic = new Map();
  for (const i of catalog.items) for (const t of i.topics) tracksByTopic.set(t, new Set([...(tracksByTopic.get(t) ?? []), i.course]));
  assert.ok(tracksByTopic.get('python').size >= 3, 'python is taught in several tracks');
});

test('learning paths: prerequisites exist, are not harder, have no cycles, and every track has a start', () => {
  const byId = new Map(served.items.map((i) => [i.id, i]));
  for (const item of served.items) {
    for (const p of item.prerequisites) {
      assert.ok(byId.has(p), `${item.id} needs '${p}', which is in the catalog`);
      assert.ok(byId.get(p).difficulty <= item.difficulty, `${item.id} needs '${p}', which is not harder`);
    }
  }
  const done = new Set();
  const onPath = new Set();
  const visit = (id, path) => {
    if (done.has(id)) return;
    assert.ok(!onPath.has(id), `prerequisite cycle: ${[...path, id].join(' -> ')}`);
    onPath.add(id);
    for (const p of byId.get(id).prerequisites) visit(p, [...path, id]);
    onPath.delete(id);
    done.add(id);
  };
  for (const item of served.items) visit(item.id, []);

  const tracks = tracksOf(served.items);
  assert.ok(tracks.length >= 15, `15+ learning tracks (${tracks.length})`);
  for (const track of tracks) {
    const own = served.items.filter((i) => i.course === track);
    assert.ok(own.some((i) => i.difficulty === 1 && i.prerequisites.length === 0), `${track} has a beginner item to start from`);
    assert.ok(own.some((i) => i.difficulty === 3), `${track} goes up to advanced`);
  }
  const crossTrack = served.items.filter((i) => i.prerequisites.some((p) => byId.get(p).course !== i.course));
  assert.ok(crossTrack.length >= 10, `some paths cross tracks (${crossTrack.length})`);
});

test('every item has a unit embedding of the candidate dimension', () => {
  assert.ok(Number.isInteger(served.dim) && served.dim >= 1 && served.dim <= 512, `dim ${served.dim} (core accepts 1..512)`);
  for (const item of served.items) {
    assert.equal(item.embedding?.length, served.dim, `${item.id}.embedding has dim numbers`);
    assert.ok(item.embedding.every(Number.isFinite), `${item.id}.embedding is finite`);
    assert.ok(Math.abs(Math.sqrt(dot(item.embedding, item.embedding)) - 1) < 1e-3, `${item.id}.embedding is unit length`);
    assert.ok(['interactions', 'content_neighbours', 'content_hash'].includes(item.embedding_source), `${item.id}.embedding_source`);
  }
});

test('embeddings carry meaning: items of one track are clearly closer than items of different tracks', () => {
  let within = 0, withinN = 0, cross = 0, crossN = 0;
  const items = served.items;
  for (let a = 0; a < items.length; a++) {
    for (let b = a + 1; b < items.length; b++) {
      const cos = dot(items[a].embedding, items[b].embedding);
      if (items[a].course === items[b].course) { within += cos; withinN++; } else { cross += cos; crossN++; }
    }
  }
  within /= withinN;
  cross /= crossN;
  // A margin, not just ">": vectors unrelated to content (e.g. hashed ids) give
  // within ≈ cross ≈ 0 and could pass a bare comparison by chance.
  assert.ok(within > cross + 0.15, `mean cosine within tracks ${within.toFixed(3)} vs across tracks ${cross.toFixed(3)}`);
});

test('after learners use the demo, learned vectors replace the hashed ones and untouched items borrow from their own track', async () => {
  // --log-level info (overrides warn): the job lines say when the embeddings cover every posted event.
  const learned = await startSync({
    extraArgs: ['--catalog', demoCatalogFile, '--embeddings-refresh-s', '1', '--candidates-refresh-s', '1', '--log-level', 'info'],
  });
  try {
    // Per track, one learner completes its first six items (beginner first).
    const now = Date.now();
    const batches = [];
    for (const track of tracksOf(served.items)) {
      const user = `learner-${track}`;
      const session = randomUUID();
      const events = served.items.filter((i) => i.course === track).slice(0, 6).map((item, k) => ({
        id: randomUUID(), type: 'course_interaction', ts: now - 3_600_000 + k * 60_000, session_id: session, seq: k + 1,
        user_id: user, purpose: 'analytics', props: { course_id: item.id, action: 'complete' }, ctx: { page_url: '/', locale: 'en' },
      }));
      batches.push({ token: learned.token(user), body: { batch_id: randomUUID(), device_id: `device-${user}`, sent_at: now, events } });
    }
    const posted = batches.reduce((n, b) => n + b.body.events.length, 0);
    await Promise.all(batches.map(async ({ token, body }) => {
      const res = await fetch(`${learned.url}/v1/batch`, {
        method: 'POST', headers: { ...closeAfter, Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body),
      });
      assert.equal(res.status, 200, await res.text());
    }));
    // The embeddings job runs every second, maybe mid-posting: wait for a run over all events and the rebuild after it.
    const covered = () => {
      const lines = learned.stderr().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
      const refreshed = lines.findIndex((l) => l.msg === 'embeddings refreshed' && l.interactions === posted);
      return refreshed >= 0 && lines.slice(refreshed + 1).some((l) => l.msg === 'candidates rebuilt');
    };
    for (let waited = 0; !covered(); waited += 100) {
      assert.ok(waited < 20_000, `no embeddings over ${posted} interactions: ${learned.stderr().slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const res = await fetch(`${learned.url}/v1/candidates`, { headers: { ...closeAfter, Authorization: `Bearer ${learned.token('learner-reader')}` } });
    const set = await res.json();
    const fromInteractions = set.items.filter((i) => i.embedding_source === 'interactions');
    const borrowed = set.items.filter((i) => i.embedding_source === 'content_neighbours');
    assert.ok(fromInteractions.length >= 3 * tracksOf(served.items).length, `learned vectors (${fromInteractions.length})`);
    assert.equal(fromInteractions.length + borrowed.length, set.items.length, 'every other item borrows from similar learned items');
    let own = 0, ownN = 0, other = 0, otherN = 0;
    for (const item of borrowed) {
      for (const l of fromInteractions) {
        const cos = dot(item.embedding, l.embedding);
        if (l.course === item.course) { own += cos; ownN++; } else { other += cos; otherN++; }
      }
    }
    own /= ownN;
    other /= otherN;
    assert.ok(own > other + 0.15, `borrowed vectors: mean cosine to own track ${own.toFixed(3)} vs other tracks ${other.toFixed(3)}`);
  } finally {
    await learned.stop();
  }
});

test('through the package: a learner who studied web development sees web items score highest on interest', async () => {
  const { createPersonalizer } = await import(pathToFileURL(join(distDir, 'index.js')).href);
  const p = await createPersonalizer({ userId: 'learner-demo-catalog-web', autoFlush: false });
  try {
    await p.setConsent({ personalization: true });
    for (const id of ['js-101', 'js-102', 'js-104', 'js-201']) p.track('course_interaction', { course_id: id, action: 'complete' });
    const ranking = p.rerank(served.items, { limit: served.items.length, diversity: 0 });
    assert.equal(ranking.source, 'personalized');
    assert.equal(ranking.items.length, served.items.length - 4, 'every item but the completed ones is ranked');
    const interest = (track) => {
      const values = ranking.items.filter((r) => r.candidate.course === track)
        .map((r) => r.factors.find((f) => f.name === 'interest')?.value ?? 0);
      return values.reduce((a, b) => a + b, 0) / values.length;
    };
    const web = interest('javascript');
    for (const other of tracksOf(served.items).filter((t) => t !== 'javascript')) {
      assert.ok(web > interest(other), `interest: web items ${web.toFixed(3)} > ${other} items ${interest(other).toFixed(3)}`);
    }
  } finally {
    await p.destroy();
  }
});
