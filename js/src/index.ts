// @gradvy/personalize: on-device personalization (consent-first event queue,
// learner profile, reranker with reasons) running in WebAssembly.
//
// Importing this module touches no browser global (window, document,
// indexedDB, navigator): it is safe in Node, during SSR and in React Server
// Components. The wasm module loads on the first createPersonalizer() call.
export { createPersonalizer, Personalizer } from "./personalizer.js";
export { PersonalizeError } from "./errors.js";
export type { PersonalizeErrorCode, PackageErrorCode } from "./errors.js";
export { MemoryStore } from "./storage/memory.js";
export type { SnapshotStore, StoredValue } from "./storage/store.js";
export { classifyStatus, parseRetryAfter } from "./transport/status.js";
export type { DeliveryOutcome } from "./transport/status.js";
export { KEEPALIVE_BUDGET_BYTES } from "./transport/http.js";
export type { GetToken } from "./transport/http.js";
export type * from "./types.js";
export type {
  AggregateReport,
  Candidate,
  CandidateSetInfo,
  ConsentChange,
  ConsentChanges,
  ConsentModeState,
  ConsentRecord,
  ConsentView,
  EngineConfig,
  ErrorCode,
  Insights,
  Preferences,
  PreferencesView,
  ProfileView,
  Purpose,
  RankedItem,
  RankingFactor,
  Ranking,
  Stats,
  VariantAssignment,
} from "./gradvy_core.mjs";
