// A straightforward TypeScript implementation of the reranker's algorithm
// `gradvy-rerank-2` (core/src/reranker.cpp + rerank_mmr.cpp + rerank_options.cpp),
// the baseline the wasm binding is measured against in tests/bench/wasm_rerank.mjs,
// which also checks that both rank the same input alike. Plain arrays and
// objects, as a JS developer would write it: per call it normalizes the
// embeddings, scores every candidate by the weighted factors, filters, takes
// the head of the pool and runs eager MMR (k x m x d dot products), then builds
// the items with factors and explanation strings.
//
// The profile is an input: the learner's two interest vectors (long-term and
// short-term, each the normalized decay-weighted sum of the touched items'
// unit embeddings, core/src/profile.cpp), affinities, level and flags.
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
  personalized: boolean;       // false: the fallback ranking (declared preferences only)
  goals: string[];
  preferredContentTypes: string[];
  freeOnly: boolean;
  interest: number[];          // long-term unit vector, or [] when unknown
  recentInterest: number[];    // short-term unit vector, or [] when unknown
  thumbsDown: number[][];      // unit vectors of thumbs-down items, most recent first
  level: number;               // 0 unknown, 1..3
  stretch: number;             // 0 comfortable, 0.5 stretch, 1 challenge
  weeklyMinutes: number;
  completed: Set<string>;
  dismissed: Set<string>;
  thumbedDown: Set<string>;    // ids of the thumbs-down items (filtered out)
  topicAffinity: Map<string, number>;
  typeAffinity: Map<string, number>;
}

// Factor order of the core (new factors are appended).
export const FACTORS = ['goal_match', 'interest', 'difficulty', 'rating', 'popularity', 'progression',
  'content_type', 'freshness', 'time_fit', 'feedback', 'recent_interest'];

export function weightsOf(named: Record<string, number>): number[] {
  return FACTORS.map((name) => named[name] ?? 0);
}

export const PERSONALIZED_WEIGHTS = weightsOf({
  goal_match: 0.2, interest: 0.1, recent_interest: 0.3, difficulty: 0.1, rating: 0.1, popularity: 0.15,
  progression: 0.05, content_type: 0.05, freshness: 0.05, time_fit: 0.05, feedback: 0.5,
});

export const FALLBACK_WEIGHTS = weightsOf({ goal_match: 0.3, popularity: 0.45, rating: 0.15, freshness: 0.1 });

export interface RefOptions {
  limit: number;
  diversity: number;           // MMR lambda = 1 - diversity
  similarityFloor: number;     // MMR redundancy counts only cosines above this
  explain: boolean;
  weights: number[];           // FACTORS order
  poolFactor: number;          // MMR over the top max(poolMin, poolFactor x limit); 0 = all
  poolMin: number;
  includeFree: boolean;
  freeOnly: boolean | null;    // null: the learner's declared free_only
  considerRatings: boolean;
  excludeCompleted: boolean;
  ratingPriorMean: number;
  ratingPriorCount: number;
  ratingScale: number;
  freshnessHalfLifeDays: number;
  difficultySigma: number;
  neighbourThreshold: number;
  maxNegativeExamples: number;
}

export function defaultOptions(personalized = true): RefOptions {
  return {
    limit: 20, diversity: 0.6, similarityFloor: 0.9, explain: true,
    weights: personalized ? PERSONALIZED_WEIGHTS : FALLBACK_WEIGHTS,
    poolFactor: 10, poolMin: 100, includeFree: true, freeOnly: null, considerRatings: true,
    excludeCompleted: true, ratingPriorMean: 3.5, ratingPriorCount: 10, ratingScale: 5,
    freshnessHalfLifeDays: 180, difficultySigma: 0.6, neighbourThreshold: 0.6, maxNegativeExamples: 8,
  };
}

export interface RefItem {
  id: string;
  index: number;
  score: number;
  reason: string;
  factors: { name: string; value: number; detail?: string }[];
}

const DAY_MS = 86400000;

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

// Labels match after trimming and lower-casing (the core's normalize_label).
const label = (s: string) => s.trim().toLowerCase();

// Whole number, or one decimal, as the core writes them in details.
function num(x: number, decimals = 0): string {
  if (!Number.isFinite(x) || x < 0) x = 0;
  const scale = decimals === 1 ? 10 : 1;
  const scaled = Math.round(Math.min(x, 1e15) * scale);
  const whole = String(Math.floor(scaled / scale));
  return decimals === 1 ? `${whole}.${scaled % 10}` : whole;
}

function levelName(level: number): string {
  if (level <= 0) return 'unknown';
  if (level < 1.67) return 'beginner';
  if (level < 2.34) return 'intermediate';
  return 'advanced';
}

export function rerankReference(candidates: RefCandidate[], emb: Float32Array, d: number,
                                profile: RefProfile, opt: RefOptions, nowMs: number): RefItem[] {
  const n = candidates.length;
  const rows = unitRows(emb, n, d);
  const w = opt.weights;
  const maxLogPop = Math.max(0, ...candidates.map((c) => Math.log1p(c.popularity ?? 0)));
  const goals = new Set(profile.goals.map(label));
  const preferredTypes = new Set(profile.preferredContentTypes.map(label));
  const personalized = profile.personalized;
  const level = personalized ? profile.level : 0;
  const target = Math.min(3, Math.max(1, level + profile.stretch));
  const useInterest = personalized && profile.interest.length === d && w[1] !== 0;
  const useRecent = personalized && profile.recentInterest.length === d && w[10] !== 0;
  const negatives = personalized && w[9] !== 0 ? profile.thumbsDown.slice(0, opt.maxNegativeExamples) : [];

  const topicsOf = (c: RefCandidate) => [...new Set((c.topics ?? []).map(label).filter((t) => t !== ''))];
  const learnedTopic = (t: string) => (personalized ? profile.topicAffinity.get(t) ?? 0 : 0);

  const raw = (c: RefCandidate, row: number[]): number[] => {
    const v: number[] = new Array(FACTORS.length).fill(0);
    const topics = topicsOf(c);
    const matches = topics.filter((t) => goals.has(t)).length;
    const declared = matches > 0 ? Math.min(1, matches / Math.max(1, Math.min(topics.length, goals.size))) : 0;
    const learned = Math.max(0, ...topics.map(learnedTopic));
    v[0] = Math.max(declared, 0.8 * learned);
    if (useInterest) v[1] = dot(row, profile.interest);
    if (useRecent) v[10] = dot(row, profile.recentInterest);
    if (level > 0) {
      const diff = c.difficulty ?? 0;
      v[2] = diff > 0 ? Math.exp(-((diff - target) ** 2) / (2 * opt.difficultySigma ** 2)) : 0.5;
    }
    if (opt.considerRatings) {
      const count = c.rating_count ?? 0;
      const bayes = (opt.ratingPriorCount * opt.ratingPriorMean + (c.rating ?? 0) * count) /
        Math.max(1e-9, opt.ratingPriorCount + count);
      v[3] = bayes / opt.ratingScale;
    }
    if (maxLogPop > 0) v[4] = Math.log1p(c.popularity ?? 0) / maxLogPop;
    const prereq = c.prerequisites ?? [];
    if (personalized && prereq.length > 0) {
      v[5] = 1.5 * (prereq.filter((p) => profile.completed.has(p)).length / prereq.length) - 0.5;
    }
    const type = label(c.content_type ?? '');
    if (type !== '') {
      v[6] = Math.max(preferredTypes.has(type) ? 1 : 0, personalized ? profile.typeAffinity.get(type) ?? 0 : 0);
    }
    if ((c.published_at ?? 0) > 0) {
      v[7] = 2 ** (-Math.max(0, (nowMs - c.published_at!) / DAY_MS) / opt.freshnessHalfLifeDays);
    }
    if (profile.weeklyMinutes > 0 && (c.duration_minutes ?? 0) > 0) {
      const weeks = c.duration_minutes! / profile.weeklyMinutes;
      v[8] = weeks <= 4 ? 1 : 2 ** (-(weeks - 4) / 4);
    }
    if (negatives.length > 0) {
      let closest = 0;
      for (const neg of negatives) {
        closest = Math.max(closest, (dot(row, neg) - opt.neighbourThreshold) / (1 - opt.neighbourThreshold));
      }
      v[9] = -Math.min(1, closest);
    }
    return v;
  };

  // "<how close> <what> (<n>% match)", as the core words the two interest factors.
  const closeness = (x: number, strong: string, related: string, what: string) =>
    `${x >= 0.5 ? strong : x >= 0.2 ? related : 'not much like'} ${what} (${num(100 * Math.max(0, x))}% match)`;

  const detail = (f: number, c: RefCandidate, x: number): string => {
    switch (f) {
      case 0: {
        const topics = c.topics ?? [];
        const goal = topics.find((t) => goals.has(label(t)));
        if (goal !== undefined) return `covers ${goal}, one of your goals`;
        let best = '';
        let bestAffinity = 0;
        for (const t of topics) {
          if (learnedTopic(label(t)) > bestAffinity) { bestAffinity = learnedTopic(label(t)); best = t; }
        }
        if (bestAffinity > 0) return `covers ${best}, a topic you have been learning`;
        return goals.size > 0 ? 'not one of your goals' : 'no goals set';
      }
      case 1:
        if (!personalized || profile.interest.length === 0) return 'no activity to compare with yet';
        return closeness(x, 'very similar to', 'similar to', 'what you engaged with');
      case 2: {
        if (level <= 0) return 'your level is not known yet';
        const diff = c.difficulty ?? 0;
        if (diff <= 0) return 'difficulty not stated';
        const fit = x >= 0.7 ? ': a good fit' : x >= 0.3 ? ': a reasonable fit' : ': not a good fit';
        return `${levelName(diff)}${fit} for your level (about ${levelName(level)})`;
      }
      case 3:
        if (!opt.considerRatings) return 'ratings not considered';
        if ((c.rating_count ?? 0) <= 0) return 'no ratings yet';
        return `rated ${num(c.rating ?? 0, 1)} by ${num(c.rating_count!)} learners`;
      case 4:
        if (maxLogPop <= 0) return 'no popularity data';
        return x >= 0.8 ? 'among the most popular here' : x >= 0.5 ? 'popular with other learners' : 'less popular';
      case 5: {
        const prereq = c.prerequisites ?? [];
        if (prereq.length === 0) return 'no prerequisites';
        if (!personalized) return 'prerequisites not checked';
        const frac = (x + 0.5) / 1.5;
        if (frac >= 0.999) return 'you have completed all its prerequisites';
        if (frac > 0) return `you have completed ${num(frac * prereq.length)} of ${num(prereq.length)} prerequisites`;
        return 'needs prerequisites you have not completed';
      }
      case 6: {
        const type = label(c.content_type ?? '');
        if (type === '') return 'format not stated';
        if (preferredTypes.has(type)) return `${type}, a format you prefer`;
        if (personalized && (profile.typeAffinity.get(type) ?? 0) >= 0.5) return `${type}, a format you use often`;
        return type;
      }
      case 7:
        if ((c.published_at ?? 0) <= 0) return 'publication date unknown';
        return `published ${num(Math.floor(Math.max(0, (nowMs - c.published_at!) / DAY_MS)))} days ago`;
      case 8:
        if (profile.weeklyMinutes <= 0) return 'no weekly time budget set';
        if ((c.duration_minutes ?? 0) <= 0) return 'duration not stated';
        return `about ${num(c.duration_minutes! / profile.weeklyMinutes, 1)} weeks at your ${num(profile.weeklyMinutes)} minutes a week`;
      case 9:
        return x < 0 ? 'similar to something you marked as not for you' : '';
      default:
        if (!personalized || profile.recentInterest.length === 0) return 'no recent activity to continue from';
        return closeness(x, 'a next step from', 'related to', 'what you did most recently');
    }
  };

  // Filter and score.
  const freeOnly = opt.freeOnly ?? profile.freeOnly;
  const pool: { i: number; rel: number }[] = [];
  for (let i = 0; i < n; i++) {
    const c = candidates[i];
    if (profile.dismissed.has(c.id) || profile.thumbedDown.has(c.id)) continue;
    if (opt.excludeCompleted && profile.completed.has(c.id)) continue;
    if ((freeOnly && !c.free) || (!opt.includeFree && c.free)) continue;
    const v = raw(c, rows[i]);
    let s = 0;
    for (let f = 0; f < FACTORS.length; f++) s += w[f] * v[f];
    pool.push({ i, rel: s });
  }
  if (pool.length === 0) return [];
  const byId = (a: number, b: number) => (candidates[a].id < candidates[b].id ? -1 : 1);

  // MMR re-orders only the head of the pool by score (ties: smaller id first).
  let head = pool;
  const headSize = opt.poolFactor === 0 ? pool.length : Math.max(opt.poolMin, opt.poolFactor * opt.limit);
  if (opt.diversity > 0 && headSize < pool.length) {
    head = [...pool].sort((a, b) => (b.rel - a.rel) || byId(a.i, b.i)).slice(0, headSize);
  }

  // Eager MMR: redundancy counts only near-duplicates (cosine above the floor).
  const lambda = 1 - opt.diversity;
  const floor = Math.min(0.99, Math.max(0, opt.similarityFloor));
  const redundancy = (sim: number) => Math.max(0, (sim - floor) / (1 - floor));
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
      const value = lambda * norm(head[s].rel) - (1 - lambda) * redundancy(maxSim[s]);
      if (value > bestValue || (value === bestValue && byId(head[s].i, head[best].i) < 0)) {
        best = s;
        bestValue = value;
      }
    }
    used[best] = true;
    picks.push(head[best].i);
  }

  // Items with factors; with explain, details and the strongest weighted factor's detail as reason.
  return picks.map((i) => {
    const c = candidates[i];
    const v = raw(c, rows[i]);
    const factors = FACTORS.map((name, f) => {
      const value = w[f] * v[f];
      if (!opt.explain) return { name, value };
      return { name, value, detail: w[f] !== 0 ? detail(f, c, v[f]) : '' };
    });
    let reason = '';
    if (opt.explain) {
      let strongest = 0;
      for (let f = 0; f < FACTORS.length; f++) {
        if (w[f] !== 0 && (w[strongest] === 0 || factors[f].value > factors[strongest].value)) strongest = f;
      }
      reason = factors[strongest].detail ?? '';
    }
    return { id: c.id, index: i, score: factors.reduce((s, f) => s + f.value, 0), reason, factors };
  });
}
