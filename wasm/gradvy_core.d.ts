// Hand-written typing of build/<dir>/gradvy_core.mjs (Emscripten 3.1.6 has no
// --emit-tsd). This file is the JS-visible contract of the wasm module: the
// npm package (js/) codes against it, tests/wasm/*.test.mjs check it.
//
// Conventions
// - Nothing throws across the boundary. Every failure is a value.
// - Hot calls (`track`) cross once with plain values and return a number.
//   A negative number means "failed": read `lastError()` right away.
// - Every other method follows ONE rule: it returns `Outcome<T>` if and only if
//   it can fail; methods that cannot fail return their value directly
//   (`snapshot()`, `stats()`, `consent()`, `takeBatch()`, ...).
// - Names: methods and the envelopes the binding builds (Outcome, Batch,
//   FailOptions, ErrorInfo) are camelCase. The documents inside them (events,
//   consent records, stats, profile, rankings, export, snapshot) are the core's
//   JSON and use snake_case: the same names as on the wire, in the sync server
//   API and in the persisted snapshot.
// - Time is always passed in (`nowMs`, milliseconds since the Unix epoch);
//   the core never reads a clock. Randomness comes from the seed given to
//   `createEngine` (use crypto.getRandomValues), so equal inputs give equal
//   outputs.
// - An `Engine` holds wasm memory: free it with `delete()` (a call after that throws).

/** Stable error codes (core/include/gradvy/status.hpp `ErrorCode`, minus `ok`). */
export type ErrorCode =
  | "invalid_argument"   // a caller-supplied option or value is out of range
  | "invalid_json"       // text that should be JSON is not
  | "invalid_event"      // an event breaks a schema rule (message names field + rule)
  | "event_too_large"    // serialized event over the per-event byte limit
  | "invalid_consent"    // unknown purpose, bad consent-mode state, ...
  | "invalid_tc_string"  // malformed IAB TCF string (never a grant)
  | "unknown_batch"      // ack/fail for a batch id that is not in flight
  | "snapshot_corrupt"   // snapshot is not a valid document (state unchanged)
  | "snapshot_version"   // snapshot of an unknown format/version (state unchanged)
  | "limit_exceeded"     // an explicit bound was hit (candidates, dimension, ...)
  | "empty_input"        // nothing to work on (e.g. rerank of zero candidates)
  | "dimension_mismatch" // embedding buffer does not match n x d
  | "non_finite"         // NaN or Inf where a finite number is required
  | "duplicate_id"       // the same id twice where ids must be unique
  | "not_found"          // a named thing does not exist
  | "invalid_state"      // call not allowed in the current state
  | "internal";          // a bug: should never be seen

export interface ErrorInfo {
  code: ErrorCode;
  /** Names the field and the rule, e.g. "props.score: must be a number between 0 and total_questions". */
  message: string;
}

export type Outcome<T> =
  | { ok: true; value: T }
  | { ok: false; code: ErrorCode; message: string };

export type Purpose =
  | "essential"
  | "analytics"
  | "personalization"
  | "marketing"
  | "social_integration"
  | "external_enrichment";

/** `track()` result: >= 0 is a bit set of TRACK_QUEUED (1: entered the upload
 *  queue), TRACK_PROFILED (2: updated the on-device profile) and
 *  TRACK_AGGREGATED (4: counted on device in local-only mode); 0 = dropped for
 *  lack of consent (counted, never stored); < 0 = refused, see lastError(). */
export type TrackResult = number;

// ---------------------------------------------------------------------------
// Configuration (createEngine). Every field is optional; unknown fields are
// refused with invalid_argument so a typo never silently falls back.
// ---------------------------------------------------------------------------
export interface EngineConfig {
  /** Pseudonymous device id sent in every batch; generated from the seed if absent. */
  device_id?: string;
  /** Pseudonymous user id (never an e-mail); can be changed later with identify(). */
  user_id?: string;
  /** Start in local-only mode (raw events never queued). Default false. */
  local_only?: boolean;
  /** Policy version recorded with every consent change. Default "1". */
  policy_version?: string;
  /** The app's GPC policy: purposes withdrawn while GPC is on, on top of marketing. Default []. */
  gpc_also_withdraw?: Purpose[];
  /** Queue bounds and delivery timings (core/include/gradvy/queue_config.hpp). */
  queue?: {
    batch_size?: number;            // default 50
    max_age_ms?: number;            // default 10,000
    batch_max_bytes?: number;       // default 460,800
    max_event_bytes?: number;       // default 32,768
    max_events?: number;            // default 10,000
    max_bytes?: number;             // default 5 MiB
    backoff_base_ms?: number;       // default 1,000
    backoff_cap_ms?: number;        // default 300,000
    max_attempts?: number;          // default 10, then the batch is parked
    max_in_flight_batches?: number; // default 1
    max_retry_after_ms?: number;    // default 1 day
  };
  /** Event pipeline (core/include/gradvy/event_config.hpp). */
  events?: {
    session_idle_ms?: number;       // new session after this much idle time; default 1,800,000
    max_event_bytes?: number;       // default 32,768
    drop_keys?: string[];           // REPLACES the default PII drop-key list
    extra_drop_keys?: string[];     // added to it
    custom_types?: Record<string, Purpose>;  // "x_name" -> upload purpose
  };
  /** Local-only aggregates: Laplace privacy budget per release (0.01..10). Default 1.0. */
  aggregate_epsilon?: number;
  /** Profile tunables (core/include/gradvy/profile_config.hpp). */
  profile?: Record<string, unknown>;
  /** Default rerank options and weights (core/include/gradvy/rerank_options.hpp); per-call options override. */
  ranker?: Record<string, unknown>;
}

// ---------------------------------------------------------------------------
// Delivery
// ---------------------------------------------------------------------------
export interface Batch {
  /** Stable across retries of the same batch; the server dedupes on it. */
  batchId: string;
  /** The exact JSON text to POST to /v1/batch: {batch_id, device_id, sent_at, events:[...]}. */
  body: string;
  eventCount: number;
  /** UTF-8 byte length of `body`. */
  bytes: number;
  /** 1 for the first send, 2 for the first retry, ... */
  attempt: number;
}

export interface FailOptions {
  /** true: network error, 5xx, 408, 429 (backoff with full jitter, then parked after
   *  queue.max_attempts sends). false: other 4xx; the batch is parked as "rejected"
   *  (kept, never silently dropped) until unpark(). */
  retryable: boolean;
  /** Server Retry-After in ms; a floor on the backoff, clamped to queue.max_retry_after_ms. */
  retryAfterMs?: number;
  /** 413: the batch is split into two halves with new batch ids, ready at once;
   *  a single event too large on its own is dropped (counted as dropped.too_large). */
  tooLarge?: boolean;
}

export interface FailResult {
  /** What the core did with the batch (names from core/include/gradvy/queue.hpp FailAction). */
  action: "retry_scheduled" | "parked" | "split" | "dropped_too_large" | "already_gone";
  /** retry_scheduled: when takeBatch may return it again. */
  retry_at_ms?: number;
  /** parked: "attempts_exhausted" | "rejected". */
  park_reason?: "attempts_exhausted" | "rejected";
  /** split: the ids of the two halves. */
  new_batch_ids?: string[];
}

export interface AckResult {
  /** Events acknowledged by this ack (events purged while in flight are not among them). */
  acked: number;
}

// ---------------------------------------------------------------------------
// Consent
// ---------------------------------------------------------------------------
export interface ConsentRecord {
  purpose: Purpose;
  granted: boolean;
  at: number;
  source: "app" | "tcf" | "consent_mode" | "gpc";
  policy_version: string;
}

export interface ConsentView {
  /** Granted purposes, in enum order; "essential" is always there. */
  granted: Purpose[];
  gpc: boolean;
  /** Purposes kept withdrawn while GPC is on (grants of them are refused). */
  gpc_blocked: Purpose[];
  /** Oldest first; bounded (1,000 records), older ones counted in history_dropped. */
  history: ConsentRecord[];
  history_dropped: number;
  policy_version: string;
}

export interface ConsentChange {
  /** Purposes that became granted by this call. */
  granted: Purpose[];
  /** Purposes that became withdrawn by this call. */
  withdrawn: Purpose[];
  /** Grants asked for but refused because GPC is on. */
  refused_by_gpc: Purpose[];
  records_added: number;
  /** Held events (queued, in flight, waiting, parked) purged because their purpose
   *  was withdrawn, before this call returned. */
  purged: number;
}

/** setConsent input (the app's toggles, recorded with source "app"): purposes to
 *  change; any other key, or "essential": false, is invalid_consent. */
export interface ConsentChanges {
  analytics?: boolean;
  personalization?: boolean;
  marketing?: boolean;
  social_integration?: boolean;
  external_enrichment?: boolean;
}

/** Google Consent Mode v2 state, e.g. {"analytics_storage":"granted","ad_storage":"denied"}. */
export type ConsentModeState = Partial<Record<
  "ad_storage" | "analytics_storage" | "ad_user_data" | "ad_personalization"
  | "functionality_storage" | "personalization_storage" | "security_storage",
  "granted" | "denied">>;

// ---------------------------------------------------------------------------
// Stats, aggregates, export
// ---------------------------------------------------------------------------
/** Every event track() accepted ends in exactly one of: profiled-only, queued,
 *  in_flight, retry_waiting, parked, sent, or a dropped.* counter. */
export interface Stats {
  tracked: number;        // track() calls that passed validation (any outcome)
  profiled: number;       // events that updated the profile
  accepted: number;       // events that entered the upload queue
  queued: number;         // waiting to be batched
  in_flight: number;      // in batches handed to the host, not yet acked/failed
  retry_waiting: number;  // in batches waiting for their retry time
  parked: number;         // in parked batches (attempts exhausted or rejected), kept
  sent: number;           // acknowledged by the server
  batches_sent: number;
  retries: number;        // retryable failures that scheduled another send
  queue_bytes: number;    // bytes held by the queue (all states)
  dropped: {
    no_consent: number;        // track(): neither upload nor profile purpose granted
    consent_withdrawn: number; // purged from the queue by a withdrawal
    overflow: number;          // oldest pending non-essential evicted, or a push refused when full
    too_large: number;         // over queue.max_event_bytes, or a single event refused with 413
    invalid: number;           // refused by validation (track() < 0)
    local_only: number;        // raw events purged when local-only mode was turned on
    forgotten: number;         // removed by forget()
  };
  pii_redactions: number;      // values replaced by [redacted] or keys dropped
  aggregated: number;          // events counted on device in local-only mode
}

export interface AggregateReport {
  /** Window covered: from the previous release (or first count) to nowMs. */
  from_ms: number;
  to_ms: number;
  epsilon: number;
  /** Noised counts, e.g. {"course_interaction.complete": 3.4, "page_view": 17.9}. */
  counts: Record<string, number>;
}

// ---------------------------------------------------------------------------
// Profile and ranking (shapes follow core/include/gradvy/profile*.hpp, ranker*.hpp)
// ---------------------------------------------------------------------------
/** Declared preferences as setPreferences() takes them (core/src/profile_preferences.cpp).
 *  Unknown keys are refused; null clears a field. */
export interface Preferences {
  /** Topics the learner wants to learn (goal match). */
  goals?: string[];
  /** Or a number 1..3 (1 beginner .. 3 advanced), as profile() reports it. */
  experience_level?: "beginner" | "intermediate" | "advanced" | number | null;
  /** e.g. ["video", "project"]. */
  preferred_content_types?: string[];
  /** comfortable: at the learner's level; stretch (default): a little above; challenge: well above. */
  difficulty_preference?: "comfortable" | "stretch" | "challenge";
  /** Only free items in rankings. */
  free_only?: boolean;
  /** Weekly time budget in minutes (0..10080); long items score lower on time_fit. */
  weekly_minutes?: number | null;
}

/** Declared preferences as profile() reports them. */
export interface PreferencesView {
  goals: string[];
  /** 1 beginner .. 3 advanced; null when not declared. */
  experience_level: number | null;
  preferred_content_types: string[];
  difficulty_preference: "comfortable" | "stretch" | "challenge";
  free_only: boolean;
  /** 0 when not declared. */
  weekly_minutes: number;
}

export type ProfileView = Record<string, unknown> & { preferences: PreferencesView };
export type Insights = Record<string, unknown>;

/** One candidate's metadata (its embedding row travels separately). */
export interface Candidate {
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

export interface RerankOptions {
  limit?: number;            // default 20
  diversity?: number;        // 0..1, default 0.6 (MMR)
  /** 0..0.99, default 0.9: cosine above which MMR counts two items as redundant (0 = plain MMR). */
  diversity_similarity_floor?: number;
  include_free?: boolean;
  consider_ratings?: boolean;
  exclude_completed?: boolean;
  /** Only free items; null/absent = the learner's declared free_only preference. */
  free_only?: boolean | null;
  /** Adds a human-readable `detail` to each factor. Default true. */
  explain?: boolean;
}

export interface RankingFactor {
  name: string;     // one of factorNames(): "goal_match" | "interest" | "recent_interest" | "rating" | ...
  value: number;    // the factors of an item sum to its score
  detail?: string;  // present when explain is on
}

export interface RankedItem {
  id: string;
  /** Row of the item in the candidate set given to setCandidates. */
  index: number;
  score: number;
  /** The detail of the item's strongest factor, a one-line "why" ("" when explain is off). */
  reason: string;
  factors: RankingFactor[];
}

export interface Ranking {
  source: "personalized" | "fallback";
  /** Why the fallback was used (no personalization consent, cold profile). */
  reason?: string;
  algorithm_version: string;
  items: RankedItem[];
}

export interface RankingView {
  count: number;
  source: "personalized" | "fallback";
  reason?: string;
  /** Row of each ranked item in the candidate set, best first. */
  indices: Uint32Array;
  scores: Float64Array;
  /** count x factorNames().length weighted factor values (row i sums to scores[i]). */
  factors: Float64Array;
}

export interface CandidateSetInfo {
  count: number;
  dimension: number;
}

export interface VariantAssignment {
  experiment: string;
  variant: string;
  /** The experiment_exposure event was queued (needs analytics consent). */
  exposure_queued: boolean;
}

// ---------------------------------------------------------------------------
// Engine
// ---------------------------------------------------------------------------
export interface Engine {
  /** Hot path. propsJson: the type's props ("" = {}); ctxJson: {page_url?, referrer?, locale?} ("" = none).
   *  Returns >= 0: TRACK_* bits (0 = not kept: counted as dropped.no_consent, or dropped.local_only);
   *  < 0: refused whole, nothing stored; code and message in lastError(). */
  track(type: string, propsJson: string, ctxJson: string, nowMs: number): TrackResult;
  /** The engine's address in wasm memory, for the module's `_gradvy_track` (valid until delete()). */
  address(): number;
  /** The error of the last failed call (track or any Outcome-returning call). */
  lastError(): ErrorInfo;

  /** Next batch if one is due (count/age/bytes, or any pending events when force is true, e.g. on page hide), else null. */
  takeBatch(nowMs: number, force: boolean): Batch | null;
  ack(batchId: string, nowMs: number): Outcome<AckResult>;
  fail(batchId: string, options: FailOptions, nowMs: number): Outcome<FailResult>;
  /** When takeBatch(now, false) may next return something (nowMs if right now); null when
   *  only a track/ack/fail can change that (empty queue, or the in-flight limit reached). */
  nextWakeupMs(nowMs: number): number | null;
  /** Parked batches become sendable again with a fresh attempt count (call on `online` /
   *  page load). includeRejected also unparks batches the server refused. Returns batches unparked. */
  unpark(nowMs: number, includeRejected: boolean): number;

  setConsent(changesJson: string, nowMs: number): Outcome<ConsentChange>;
  applyTcf(tcString: string, nowMs: number): Outcome<ConsentChange>;
  applyConsentMode(stateJson: string, nowMs: number): Outcome<ConsentChange>;
  /** GPC on withdraws marketing plus the config's gpc_also_withdraw and keeps them blocked. */
  setGpc(on: boolean, nowMs: number): Outcome<ConsentChange>;
  consent(): ConsentView;

  /** Pseudonymous user id (e-mail-like ids are refused); "" clears it. */
  identify(userId: string): Outcome<null>;
  /** Turning it on purges queued raw events (counted as dropped.local_only). Returns the number purged. */
  setLocalOnly(on: boolean): number;
  /** Laplace-noised on-device counts for POST /v1/aggregates; null without analytics consent or when empty. */
  takeAggregates(nowMs: number): AggregateReport | null;

  /** The whole state as one versioned JSON document ({format:"gradvy.snapshot", version:1, ...}). */
  snapshot(): string;
  /** All-or-nothing: on error (snapshot_corrupt / snapshot_version) the state is unchanged. */
  restore(snapshotJson: string): Outcome<null>;
  /** Increments on every state change: persist the snapshot when it moved. */
  revision(): number;
  stats(): Stats;

  /** Everything the device holds about the learner (consent history, profile, queued events, ids). */
  exportData(nowMs: number): Record<string, unknown>;
  /** Wipes all learner state (queue, profile, consent history, ids, candidates); keeps the config. */
  forget(): void;

  profile(nowMs: number): ProfileView;
  insights(nowMs: number): Insights;
  setPreferences(preferencesJson: string): Outcome<null>;

  /** candidatesJson: Candidate[]; embeddingsPtr: a _malloc'ed heap buffer holding n*d float32
   *  (row i = candidate i). The core copies it: free the buffer after the call. */
  setCandidates(candidatesJson: string, embeddingsPtr: number, n: number, d: number): Outcome<CandidateSetInfo>;
  /** The ranking as JSON-built objects, with detail strings when explain is on (default). */
  rerank(optionsJson: string, nowMs: number): Outcome<Ranking>;
  /** Hot path (every render): the same ranking as typed-array VIEWS of wasm memory, valid
   *  only until the next rerank/rerankInto call (copy what you keep). No detail strings;
   *  the host maps indices back to its own candidate list. ~3x cheaper than rerank(). */
  rerankInto(optionsJson: string, nowMs: number): Outcome<RankingView>;
  /** Changes the very next rerank (with personalization consent) and queues a
   *  recommendation_feedback event (with its purpose's consent). reason may be "". */
  feedback(itemId: string, kind: "thumbs_up" | "thumbs_down" | "dismissed", reason: string, nowMs: number): Outcome<{ queued: boolean; profiled: boolean }>;
  /** Deterministic assignment from (user or device id, experiment id, weights); queues experiment_exposure (analytics). */
  variant(experimentId: string, variantsJson: string, nowMs: number): Outcome<VariantAssignment>;

  /** Frees the wasm-side object; any later call on this Engine throws. */
  delete(): void;
}

export interface GradvyCoreModule {
  /** configJson: EngineConfig as JSON ("" or "{}" for defaults). seedHex: 1..64 hex digits
   *  (e.g. 32 from crypto.getRandomValues); all ids, jitter and noise derive from it. */
  createEngine(configJson: string, seedHex: string): Outcome<Engine>;
  version(): string;
  readonly TRACK_QUEUED: 1;
  readonly TRACK_PROFILED: 2;
  readonly TRACK_AGGREGATED: 4;
  /** Factor names in the order of RankingView.factors rows. */
  factorNames(): string[];
  /** Limits the core enforces (max candidates per rerank, max dimension, ...). */
  limits(): { max_candidates: number; max_dimension: number; max_event_bytes: number };

  /** Engine.track() over UTF-8 the host wrote into wasm memory (no per-call string allocation):
   *  engine = Engine.address(); each string is (ptr, byte length), a length of 0 may have ptr 0.
   *  Same result as track(); on < 0 read lastError(). Bytes that are not UTF-8 are refused
   *  (invalid_json, invalid_event), never stored; TextEncoder writes a lone surrogate as U+FFFD. */
  _gradvy_track(engine: number, typePtr: number, typeBytes: number, propsPtr: number, propsBytes: number,
    ctxPtr: number, ctxBytes: number, nowMs: number): TrackResult;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  HEAPF32: Float32Array;
  HEAPU8: Uint8Array;
}

declare function createGradvyCore(moduleOverrides?: Record<string, unknown>): Promise<GradvyCoreModule>;
export default createGradvyCore;
