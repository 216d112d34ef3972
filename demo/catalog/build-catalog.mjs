#!/usr/bin/env node
// Builds demo/catalog.json (the catalog gradvy-sync serves to the demo) from the
// hand-written track tables in demo/catalog/tracks/*.txt. Deterministic: the same
// tables always give byte-identical output, so the JSON can be committed and
// checked. Every rule below fails the build with the file and line to fix.
//
//   node demo/catalog/build-catalog.mjs           write demo/catalog.json
//   node demo/catalog/build-catalog.mjs --check   exit 1 if demo/catalog.json is stale
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const tracksDir = join(here, 'tracks');
const outFile = join(here, '..', 'catalog.json');

const CATALOG_VERSION = 'gradvy-demo-2026-12';
// The catalog is written as of this day: nothing is published later, and the
// rating counts must be plausible for each item's age.
const AS_OF = Date.UTC(2026, 11, 1);
const OLDEST = Date.UTC(2023, 11, 1);
const DAY_MS = 86_400_000;
const MAX_RATINGS_PER_DAY = 20;
const MIN_ITEMS = 250;
const MAX_ITEMS = 400;

// Content types the demo uses; durations (minutes) that make sense for each.
const DURATION_BY_TYPE = {
  video: [30, 720],        // a video course: half an hour to a dozen hours
  article: [5, 45],        // one sitting of reading
  interactive: [20, 180],  // guided exercises in the browser
  quiz: [5, 45],
  project: [60, 900],      // hands-on work spread over days
};
const COLUMNS = ['id', 'title', 'type', 'level', 'minutes', 'rating', 'ratings', 'access', 'published', 'topics', 'prerequisites'];
const ID_RE = /^[A-Za-z0-9._:/-]{1,128}$/;      // the identifier rule of the event schema
const SLUG_RE = /^[a-z0-9]+(-[a-z0-9]+)*$/;     // topics and track slugs
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

class CatalogError extends Error {}

function fail(where, message) {
  throw new CatalogError(`${where}: ${message}`);
}

function splitList(cell) {
  return cell.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

function parseDate(text, where) {
  const m = DATE_RE.exec(text);
  if (!m) fail(where, `published '${text}' must be YYYY-MM-DD`);
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (new Date(ms).toISOString().slice(0, 10) !== text) fail(where, `published '${text}' is not a calendar date`);
  if (ms < OLDEST || ms > AS_OF) fail(where, `published '${text}' must be between 2023-12-01 and 2026-12-01`);
  return ms;
}

function parseTopics(cell, where) {
  const topics = splitList(cell);
  for (const t of topics) if (!SLUG_RE.test(t)) fail(where, `topic '${t}' must be a lowercase slug`);
  return topics;
}

/** One track file: `key: value` header lines, then a `|` table with COLUMNS. */
function parseTrack(file) {
  const name = relative(join(here, '..', '..'), file);
  const lines = readFileSync(file, 'utf8').split('\n');
  const header = {};
  const items = [];
  let sawTable = false;
  lines.forEach((raw, index) => {
    const where = `${name}:${index + 1}`;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    if (!sawTable) {
      if (line.startsWith('id |')) {
        const cols = line.split('|').map((s) => s.trim());
        if (cols.join(',') !== COLUMNS.join(',')) fail(where, `table header must be: ${COLUMNS.join(' | ')}`);
        sawTable = true;
        return;
      }
      const m = /^([a-z]+):\s*(.+)$/.exec(line);
      if (!m) fail(where, 'expected `key: value` or the table header');
      header[m[1]] = m[2].trim();
      return;
    }
    const cells = raw.split('|').map((s) => s.trim());
    if (cells.length !== COLUMNS.length) fail(where, `expected ${COLUMNS.length} cells, found ${cells.length}`);
    const row = Object.fromEntries(COLUMNS.map((c, i) => [c, cells[i]]));
    items.push({ row, where });
  });
  for (const key of ['track', 'name', 'topics']) if (!header[key]) fail(name, `missing header '${key}:'`);
  if (!SLUG_RE.test(header.track)) fail(name, `track '${header.track}' must be a lowercase slug`);
  if (items.length === 0) fail(name, 'no items');
  return { slug: header.track, name: header.name, topics: parseTopics(header.topics, name), items, file: name };
}

function toItem(track, { row, where }) {
  if (!ID_RE.test(row.id)) fail(where, `id '${row.id}' must be 1..128 chars of [A-Za-z0-9._:/-]`);
  if (row.title.length < 8 || row.title.length > 90) fail(where, 'title must be 8..90 characters');
  const range = DURATION_BY_TYPE[row.type];
  if (!range) fail(where, `type '${row.type}' must be one of ${Object.keys(DURATION_BY_TYPE).join(', ')}`);
  const difficulty = Number(row.level);
  if (![1, 2, 3].includes(difficulty)) fail(where, 'level must be 1 (beginner), 2 or 3 (advanced)');
  const minutes = Number(row.minutes);
  if (!Number.isInteger(minutes) || minutes < range[0] || minutes > range[1]) {
    fail(where, `minutes for type '${row.type}' must be an integer ${range[0]}..${range[1]}`);
  }
  if (!/^\d\.\d$/.test(row.rating)) fail(where, 'rating must have one decimal, e.g. 4.6');
  const rating = Number(row.rating);
  if (rating < 3.6 || rating > 4.9) fail(where, 'rating must be 3.6..4.9');
  const ratingCount = Number(row.ratings);
  if (!Number.isInteger(ratingCount) || ratingCount < 1) fail(where, 'ratings must be a positive integer');
  if (row.access !== 'free' && row.access !== 'paid') fail(where, "access must be 'free' or 'paid'");
  const publishedAt = parseDate(row.published, where);
  const ageDays = Math.max(1, (AS_OF - publishedAt) / DAY_MS);
  if (ratingCount > ageDays * MAX_RATINGS_PER_DAY) {
    fail(where, `${ratingCount} ratings is implausible for an item ${ageDays} days old`);
  }
  const own = parseTopics(row.topics, where);
  const topics = [...track.topics, ...own];
  if (new Set(topics).size !== topics.length) fail(where, `topics repeat (track topics are ${track.topics.join(', ')})`);
  const prerequisites = splitList(row.prerequisites);
  if (new Set(prerequisites).size !== prerequisites.length) fail(where, 'prerequisites repeat');
  return {
    id: row.id,
    title: row.title,
    topics,
    difficulty,
    rating,
    rating_count: ratingCount,
    free: row.access === 'free',
    content_type: row.type,
    duration_min: minutes,
    prerequisites,
    course: track.slug,
    published_at: publishedAt,
  };
}

function checkCatalog(tracks, items, whereOf) {
  if (items.length < MIN_ITEMS || items.length > MAX_ITEMS) {
    fail('catalog', `has ${items.length} items; the demo wants ${MIN_ITEMS}..${MAX_ITEMS}`);
  }
  const byId = new Map();
  const titles = new Set();
  for (const item of items) {
    if (byId.has(item.id)) fail(whereOf.get(item), `duplicate id '${item.id}'`);
    byId.set(item.id, item);
    if (titles.has(item.title)) fail(whereOf.get(item), `duplicate title '${item.title}'`);
    titles.add(item.title);
  }
  for (const item of items) {
    for (const p of item.prerequisites) {
      const pre = byId.get(p);
      if (!pre) fail(whereOf.get(item), `prerequisite '${p}' is not in the catalog`);
      if (p === item.id) fail(whereOf.get(item), 'an item cannot be its own prerequisite');
      if (pre.difficulty > item.difficulty) fail(whereOf.get(item), `prerequisite '${p}' is harder than the item`);
      if (pre.published_at > item.published_at) fail(whereOf.get(item), `prerequisite '${p}' was published later`);
    }
  }
  // Cycles: depth-first search with an explicit "on the current path" mark.
  const state = new Map();  // id -> 1 visiting, 2 done
  const visit = (id, path) => {
    if (state.get(id) === 2) return;
    if (state.get(id) === 1) fail(whereOf.get(byId.get(id)), `prerequisite cycle: ${[...path, id].join(' -> ')}`);
    state.set(id, 1);
    for (const p of byId.get(id).prerequisites) visit(p, [...path, id]);
    state.set(id, 2);
  };
  for (const item of items) visit(item.id, []);
  for (const track of tracks) {
    const own = items.filter((i) => i.course === track.slug);
    if (!own.some((i) => i.difficulty === 1 && i.prerequisites.length === 0)) {
      fail(track.file, 'needs a beginner item without prerequisites (where the track starts)');
    }
  }
}

export function buildCatalog() {
  const files = readdirSync(tracksDir).filter((f) => f.endsWith('.txt')).sort();
  const tracks = files.map((f) => parseTrack(join(tracksDir, f)));
  const slugs = new Set();
  for (const t of tracks) {
    if (slugs.has(t.slug)) fail(t.file, `duplicate track '${t.slug}'`);
    slugs.add(t.slug);
  }
  const whereOf = new Map();
  const items = [];
  for (const track of tracks) {
    for (const row of track.items) {
      const item = toItem(track, row);
      whereOf.set(item, row.where);
      items.push(item);
    }
  }
  checkCatalog(tracks, items, whereOf);
  const text = `${JSON.stringify({ version: CATALOG_VERSION, items }, null, 2)}\n`;
  return { text, items, tracks };
}

function main(args) {
  const check = args.includes('--check');
  const unknown = args.filter((a) => a !== '--check');
  if (unknown.length > 0) {
    console.error(`usage: node demo/catalog/build-catalog.mjs [--check] (unknown: ${unknown.join(' ')})`);
    return 2;
  }
  let built;
  try {
    built = buildCatalog();
  } catch (e) {
    if (!(e instanceof CatalogError)) throw e;
    console.error(`catalog error: ${e.message}`);
    return 1;
  }
  const summary = `${built.items.length} items in ${built.tracks.length} tracks`;
  if (check) {
    const current = existsSync(outFile) ? readFileSync(outFile, 'utf8') : '';
    if (current !== built.text) {
      console.error('demo/catalog.json is out of date: run `node demo/catalog/build-catalog.mjs`');
      return 1;
    }
    console.log(`demo/catalog.json is up to date (${summary})`);
    return 0;
  }
  writeFileSync(outFile, built.text);
  console.log(`wrote demo/catalog.json (${summary})`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = main(process.argv.slice(2));
}
