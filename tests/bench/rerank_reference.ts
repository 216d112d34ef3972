// A straightforward TypeScript implementation of the reranker's algorithm
// (core/src/reranker.cpp + rerank_mmr.cpp), the baseline the wasm binding is
// measured against in tests/bench/wasm_rerank.mjs. Plain arrays and objects,
// as a JS developer would write it: per call it normalizes the embeddings,
// scores every candidate by the weighted factors, filters, takes the head of
// the pool and runs eager MMR (k x m x d dot products), then builds the items
// with factors and explanation strings.
//
// Compile: node_modules/.bin/tsc -p tests/bench/tsconfig.rerank.json
//          (output: build/bench-ts/rerank_reference.js)

export interface RefCandidate {
  id: string;
  topics?: string[];
  difficulty?: number;
  rating?: number;
  rating_count?: number;
  free?: boolean;
  popularity?: number;
  content_type?: string;
  duration_minutes?: number;
  prerequisites?: string[];
  published_at?: number;
}

export interface RefProfile {
  goals: string[];
  preferredContentTypes: string[];
  interest: number[];          // unit vector, or [] when unknown
  thumbsDown: number[][];      // unit vectors
  level: number;               // 0 unknown, 1..3
  stretch: number;             // 0.5 for "stretch"
  weeklyMinutes: number;
  completed: Set<string>;
  dismissed: Set<string>;
  topicAffinity: Map<string, number>;
  typeAffinity: Map<string, number>;
}

export interface RefOptions {
  limit: number;
  diversity: number;
  explain: boolean;
  weights: number[];           // 10 factors, reranker order
  poolFactor: number;
  poolMin: number;
}

export const FACTORS = ['goal_match', 'interest', 'difficulty', 'rating', 'popularity', 'progression',
  'content_type', 'freshness', 'time_fit', 'feedback'];

export interface RefItem {
  id: string;
  index: number;
  score: number;
  factors: { name: string; value: number; detail?: string }[];
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function unitRows(emb: Float32Array, n: number, d: number): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row = Array.from(emb.subarray(i * d, (i + 1) * d));
    const norm = Math.sqrt(dot(row, row));
    rows.push(norm > 0 ? row.map((x) => x / norm) : row);
  }
  return rows;
}

export function rerankReference(candidates: RefCandidate[], emb: Float32Array, d: number,
                                profile: RefProfile, opt: RefOptions, nowMs: number): RefItem[] {
  const n = candidates.length;
  const rows = unitRows(emb, n, d);
  const maxLogPop = Math.max(0, ...candidates.map((c) => Math.log1p(c.popularity ?? 0)));
  const goals = new Set(profile.goals.map((g) => g.toLowerCase()));
  const target = Math.min(3, Math.max(1, profile.level + profile.stretch));

  const raw = (c: RefCandidate, row: number[]): number[] => {
    const v = new Array(10).fill(0);
    const topics = (c.topics ?? []).map((t) => t.toLowerCase());
    const matches = topics.filter((t) => goals.has(t)).length;
    const declared = matches > 0 ? Math.min(1, matches / Math.max(1, Math.min(topics.length, goals.size))) : 0;
    const learned = Math.max(0, ...topics.map((t) => profile.topicAffinity.get(t) ?? 0));
    v[0] = Math.max(declared, 0.8 * learned);
    if (profile.interest.length === d) v[1] = dot(row, profile.interest);
    if (profile.level > 0) {
      const diff = c.difficulty ?? 0;
      v[2] = diff > 0 ? Math.exp(-((diff - target) ** 2) / (2 * 0.6 * 0.6)) : 0.5;
    }
    const bayes = (10 * 3.5 + (c.rating ?? 0) * (c.rating_count ?? 0)) / Math.max(1e-9, 10 + (c.rating_count ?? 0));
    v[3] = bayes / 5;
    if (maxLogPop > 0) v[4] = Math.log1p(c.popularity ?? 0) / maxLogPop;
    const prereq = c.prerequisites ?? [];
    if (prereq.length > 0) v[5] = 1.5 * (prereq.filter((p) => profile.completed.has(p)).length / prereq.length) - 0.5;
    if (c.content_type) {
      const t = c.content_type.toLowerCase();
      v[6] = Math.max(profile.preferredContentTypes.includes(t) ? 1 : 0, profile.typeAffinity.get(t) ?? 0);
    }
    if ((c.published_at ?? 0) > 0) v[7] = 2 ** (-Math.max(0, (nowMs - c.published_at!) / 86400000) / 180);
    if (profile.weeklyMinutes > 0 && (c.duration_minutes ?? 0) > 0) {
      const weeks = c.duration_minutes! / profile.weeklyMinutes;
      v[8] = weeks <= 4 ? 1 : 2 ** (-(weeks - 4) / 4);
    }
    if (profile.thumbsDown.length > 0) {
      let closest = 0;
      for (const neg of profile.thumbsDown) closest = Math.max(closest, (dot(row, neg) - 0.6) / 0.4);
      v[9] = -Math.min(1, closest);
    }
    return v;
  };

  const detail = (f: number, c: RefCandidate, x: number): string => {
    switch (f) {
      case 0: return x > 0 ? `covers ${(c.topics ?? [''])[0]}, one of your goals` : 'not one of your goals';
      case 1: return `similar to what you engaged with (${Math.round(100 * Math.max(0, x))}% match)`;
      case 2: return `${c.difficulty ?? 'unknown'}: fit for your level`;
      case 3: return `rated ${(c.rating ?? 0).toFixed(1)} by ${c.rating_count ?? 0} learners`;
      case 4: return x >= 0.8 ? 'among the most popular here' : x >= 0.5 ? 'popular with other learners' : 'less popular';
      case 5: return (c.prerequisites ?? []).length ? 'prerequisites checked' : 'no prerequisites';
      case 6: return c.content_type ?? 'format not stated';
      case 7: return c.published_at ? `published ${Math.floor((nowMs - c.published_at) / 86400000)} days ago` : 'publication date unknown';
      case 8: return 'fits your weekly time budget';
      default: return x < 0 ? 'similar to something you marked as not for you' : '';
    }
  };

  // Score and filter.
  const pool: { i: number; rel: number }[] = [];
  for (let i = 0; i < n; i++) {
    const c = candidates[i];
    if (profile.dismissed.has(c.id) || profile.completed.has(c.id)) continue;
    const v = raw(c, rows[i]);
    let s = 0;
    for (let f = 0; f < 10; f++) s += opt.weights[f] * v[f];
    pool.push({ i, rel: s });
  }
  // Head of the pool by score, ties by id.
  pool.sort((a, b) => (b.rel - a.rel) || (candidates[a.i].id < candidates[b.i].id ? -1 : 1));
  const head = pool.slice(0, Math.max(opt.poolMin, opt.poolFactor * opt.limit));
  // Eager MMR.
  const lambda = 1 - opt.diversity;
  const lo = Math.min(...head.map((p) => p.rel));
  const hi = Math.max(...head.map((p) => p.rel));
  const norm = (r: number) => (hi > lo ? (r - lo) / (hi - lo) : 1);
  const picks: number[] = [];
  const used = new Array(head.length).fill(false);
  const maxSim = new Array(head.length).fill(0);
  while (picks.length < Math.min(opt.limit, head.length)) {
    let best = -1;
    let bestValue = -Infinity;
    for (let s = 0; s < head.length; s++) {
      if (used[s]) continue;
      if (picks.length > 0) maxSim[s] = Math.max(maxSim[s], dot(rows[head[s].i], rows[picks[picks.length - 1]]));
      const value = lambda * norm(head[s].rel) - (1 - lambda) * maxSim[s];
      if (value > bestValue || (value === bestValue && candidates[head[s].i].id < candidates[head[best].i].id)) {
        best = s;
        bestValue = value;
      }
    }
    used[best] = true;
    picks.push(head[best].i);
  }
  // Items with factors (and details).
  return picks.map((i) => {
    const c = candidates[i];
    const v = raw(c, rows[i]);
    const factors = FACTORS.map((name, f) => {
      const value = opt.weights[f] * v[f];
      return opt.explain ? { name, value, detail: detail(f, c, v[f]) } : { name, value };
    });
    return { id: c.id, index: i, score: factors.reduce((s, f) => s + f.value, 0), factors };
  });
}
