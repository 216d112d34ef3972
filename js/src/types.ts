// Public option and event types of the package (the core's document types are
// re-exported from the wasm module's hand-written typing).
import type {
  Candidate,
  ConsentChange,
  ConsentView,
  EngineConfig,
  FailResult,
  RankedItem,
  Ranking,
  RerankOptions,
} from "./gradvy_core.mjs";
import type { PersonalizeError } from "./errors.js";
import type { SnapshotStore } from "./storage/store.js";
import type { GetToken } from "./transport/http.js";

export interface PersonalizerOptions {
  /** Base URL of gradvy-sync (or of the app's proxy to it), e.g. "/gradvy" or "https://sync.example.com".
   *  Without it nothing is ever sent: events stay queued on the device (bounded). */
  endpoint?: string;
  /** Returns a bearer token for the current learner, made by the app's backend. Called before
   *  requests (the last token is kept in memory only, never in storage); on a 401 it is called once
   *  more with forceRefresh: true. */
  getToken?: GetToken;
  /** Pseudonymous learner id; must equal the token's subject for the server to accept events. */
  userId?: string;
  /** Engine configuration (queue bounds, timings, PII keys, ranker...); see EngineConfig. */
  config?: Omit<EngineConfig, "user_id">;
  /** "auto" (default): IndexedDB in browsers, memory elsewhere. A SnapshotStore to bring your own. */
  storage?: "auto" | "indexeddb" | "memory" | SnapshotStore;
  /** Separates several personalizers on one origin (the IndexedDB database name). Default "default". */
  namespace?: string;
  /** Read navigator.globalPrivacyControl at start (GPC on => marketing withdrawn). Default true. */
  respectGpc?: boolean;
  /** Send on the core's schedule, on page hide and when back online. Default true; false = only flush() sends. */
  autoFlush?: boolean;
  /** The clock (ms since the epoch). Default Date.now. */
  now?: () => number;
  /** fetch implementation. Default globalThis.fetch. */
  fetch?: typeof fetch;
  /** Hex seed for ids, jitter and noise (1..64 hex digits). Default: 16 random bytes. */
  seed?: string;
}

/** track() outcome: where the event went. All false = dropped for lack of consent (counted, not kept). */
export interface TrackOutcome {
  readonly queued: boolean;
  readonly profiled: boolean;
  readonly aggregated: boolean;
}

/** Where a page may take context from; by default the package reads location/document/navigator. */
export interface EventContext {
  page_url?: string;
  referrer?: string;
  locale?: string;
}

/** A candidate as the app has it: metadata plus an optional embedding (any numeric array). */
export type CandidateInput = Candidate & { embedding?: ArrayLike<number> | null } & Record<string, unknown>;

/** Candidates already packed: metadata list plus one row-major n x dimension Float32Array. */
export interface PackedCandidates {
  items: Candidate[];
  embeddings: Float32Array;
  dimension: number;
}

export interface RankedCandidate<C = CandidateInput> extends RankedItem {
  /** The candidate object passed in (same reference). */
  candidate: C;
}

export interface RerankResult<C = CandidateInput> extends Omit<Ranking, "items"> {
  items: RankedCandidate<C>[];
}

export type { RerankOptions };

export interface FlushEvent {
  batchId: string;
  events: number;
  attempt: number;
  /** HTTP status (0 = no answer). */
  status: number;
  outcome: "acked" | FailResult["action"];
}

export interface DropEvent {
  reason: "no_consent" | "consent_withdrawn" | "overflow" | "too_large" | "local_only" | "forgotten";
  count: number;
}

export interface ConsentEvent {
  consent: ConsentView;
  change: ConsentChange;
}

export interface PersonalizerEventMap {
  flush: FlushEvent;
  drop: DropEvent;
  error: PersonalizeError;
  consent: ConsentEvent;
  /** The on-device profile changed (track, feedback, preferences, restore): re-rank. */
  profile: { revision: number };
}

export interface FlushResult {
  /** Events the server acknowledged during this flush. */
  sent: number;
  /** Events still held (pending, waiting for a retry, parked). */
  held: number;
}

export interface DeletionResult {
  /** The device state is gone (queue, profile, consent, ids, the encryption key). */
  device: { wiped: true };
  /** The server's deletion receipt (DELETE /v1/me), or null without an endpoint. */
  server: Record<string, unknown> | null;
}

export interface ExportResult {
  /** Everything the device holds (the core's gradvy.export document). */
  device: Record<string, unknown>;
  /** GET /v1/me/export, or null without an endpoint. */
  server: Record<string, unknown> | null;
}
