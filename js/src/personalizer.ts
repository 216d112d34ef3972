// The Personalizer: one engine (wasm) per tab, its persisted record, delivery
// to gradvy-sync, and cross-tab coordination.
//
// Cross-tab design (see docs/ARCHITECTURE.md, "npm package"):
// - Every tab runs its own engine and persists ONLY its own record
//   ("tab:<id>") while holding the lock "gradvy:<ns>:tab:<id>" (a Web Lock, or
//   the BroadcastChannel lease of lock.ts without Web Locks); a record whose
//   lock nobody holds is an orphan (its tab was closed or reloaded).
// - On start a tab adopts the freshest orphan as its own state (reload keeps
//   queue, consent, profile); other orphans are drained by a scratch engine
//   (restore -> send every batch -> delete). Without an orphan it starts from
//   the freshest live peer's consent/profile/ids, never its queue or rng.
// - Only the holder of "gradvy:<ns>:send" talks to /v1/batch, one batch at a
//   time across tabs. An event lives in exactly one engine's queue, so no two
//   tabs ever send it; the server dedupes retries by batch and event id.
// - Consent changes are broadcast on a BroadcastChannel and applied by every
//   live tab (purging their queues); the freshest record's consent wins at start.
import type {
  AggregateReport,
  ConsentChange,
  ConsentChanges,
  ConsentModeState,
  ConsentRecord,
  ConsentView,
  Engine,
  GradvyCoreModule,
  Insights,
  Preferences,
  ProfileView,
  Purpose,
  Ranking,
  RerankOptions,
  Stats,
  VariantAssignment,
  Batch,
} from "./gradvy_core.mjs";
import { PersonalizeError, unwrap } from "./errors.js";
import { loadCore } from "./loader.js";
import { locks } from "./lock.js";
import { randomHex } from "./random.js";
import { decodeRecord, encodeRecord, sharedPart, type TabRecord } from "./snapshot.js";
import { IndexedDbStore } from "./storage/indexeddb.js";
import { MemoryStore } from "./storage/memory.js";
import type { SnapshotStore } from "./storage/store.js";
import { HttpTransport } from "./transport/http.js";
import { WasmTrack } from "./wasm-track.js";
import type { DeliveryOutcome } from "./transport/status.js";
import type {
  CandidateInput,
  DeletionResult,
  DropEvent,
  EventContext,
  ExportResult,
  FlushResult,
  PackedCandidates,
  PersonalizerEventMap,
  PersonalizerOptions,
  RerankResult,
  TrackOutcome,
} from "./types.js";

const TRACK_OUTCOMES: readonly TrackOutcome[] = Array.from({ length: 8 }, (_, bits) =>
  Object.freeze({ queued: (bits & 1) !== 0, profiled: (bits & 2) !== 0, aggregated: (bits & 4) !== 0 }),
);

const CONSENT_PURPOSES: readonly Purpose[] = [
  "analytics",
  "personalization",
  "marketing",
  "social_integration",
  "external_enrichment",
];

// Fields of a candidate the core understands; everything else (title, url, ...) stays in JS.
const CANDIDATE_FIELDS = [
  "id",
  "topics",
  "difficulty",
  "rating",
  "rating_count",
  "free",
  "popularity",
  "content_type",
  "duration_minutes",
  "prerequisites",
  "published_at",
] as const;

type Listener<K extends keyof PersonalizerEventMap> = (event: PersonalizerEventMap[K]) => void;

interface BrowserEnv {
  window: Window;
  document: Document;
}

function browserEnv(): BrowserEnv | null {
  const g = globalThis as { window?: Window; document?: Document };
  return g.window && g.document ? { window: g.window, document: g.document } : null;
}

interface ChannelMessage {
  type: "consent" | "forget" | "local_only";
  from: string;
  granted?: Purpose[];
  on?: boolean;
}

/** Creates a personalizer: loads the wasm module (once per page), opens storage and restores state. */
export async function createPersonalizer(options: PersonalizerOptions = {}): Promise<Personalizer> {
  const core = await loadCore();
  return Personalizer.start(core, options);
}

export class Personalizer {
  private readonly core: GradvyCoreModule;
  private readonly engine: Engine;
  /** The engine's track() without per-call string allocation (the hot path). */
  private readonly wasmTrack: WasmTrack;
  private readonly options: PersonalizerOptions;
  private readonly now: () => number;
  private readonly ns: string;
  private readonly configJson: string;
  private store: SnapshotStore;
  private readonly transport: HttpTransport | null;
  private readonly tabId = randomHex(8);
  private recordKey = "";
  private releaseRecord: (() => void) | null = null;
  private movingRecord = false;
  /** Bodies of this engine's batches taken by a drain and not yet settled, by batch id (see onHide). */
  private readonly sending = new Map<string, string>();
  private channel: BroadcastChannel | null = null;
  private readonly listeners = new Map<keyof PersonalizerEventMap, Set<Listener<never>>>();
  private readonly teardown: Array<() => void> = [];
  /** Waits of the orphan drains; destroy() ends them, so no drain outlives its tab holding a lock. */
  private readonly pauses = new Set<() => void>();

  private destroyed = false;
  private forgotten = false; // after forgetMe(): nothing is written until the state changes again
  private savedRevision = -1;
  private saving: Promise<void> | null = null;
  private saveAgain = false;
  private tickScheduled = false;
  private wakeTimer: ReturnType<typeof setTimeout> | null = null;
  private wakeAt = Infinity;
  private draining: Promise<FlushResult> | null = null;
  private offline = false;
  /** In a browser page: it can be hidden or unloaded at any moment (see onHide). */
  private pageCanHide = false;
  private consentUnsynced: ConsentRecord[] = [];
  private lastDropped: Stats["dropped"] | null = null;
  private lastProfiledRevision = -1;
  private ctxHref = "";
  private ctxJson = "";
  /** The page context read in this task; cleared by a microtask (reading location costs more than the core's track). */
  private ctxFresh = false;

  private candidatesRef: unknown = null;
  private candidatesList: readonly unknown[] = [];
  private candidatesVersion = 0;

  private constructor(core: GradvyCoreModule, engine: Engine, store: SnapshotStore, options: PersonalizerOptions, configJson: string) {
    this.core = core;
    this.engine = engine;
    this.wasmTrack = new WasmTrack(core, engine);
    this.store = store;
    this.options = options;
    this.configJson = configJson;
    this.now = options.now ?? (() => Date.now());
    this.ns = options.namespace ?? "default";
    this.transport = options.endpoint
      ? new HttpTransport({ endpoint: options.endpoint, getToken: options.getToken, fetch: options.fetch, now: this.now })
      : null;
  }

  /** @internal use createPersonalizer(). */
  static async start(core: GradvyCoreModule, options: PersonalizerOptions): Promise<Personalizer> {
    const config: Record<string, unknown> = { ...(options.config ?? {}) };
    if (options.userId) config.user_id = options.userId;
    const configJson = JSON.stringify(config);
    const engine = unwrap(core.createEngine(configJson, options.seed ?? randomHex(16)));
    const env = browserEnv();

    let store: SnapshotStore;
    let storageError: PersonalizeError | null = null;
    const wanted = options.storage ?? "auto";
    if (typeof wanted === "object") store = wanted;
    else if (wanted === "memory" || (wanted === "auto" && (!env || typeof indexedDB === "undefined"))) store = new MemoryStore();
    else {
      try {
        store = await IndexedDbStore.open(options.namespace ?? "default");
      } catch (e) {
        store = new MemoryStore();
        storageError = new PersonalizeError("storage", `IndexedDB unavailable, keeping state in memory: ${describe(e)}`, { cause: e });
      }
    }

    const p = new Personalizer(core, engine, store, options, configJson);
    try {
      await p.claimState();
    } catch (e) {
      // Storage that fails while reading degrades to memory; the engine keeps its fresh state.
      storageError = new PersonalizeError("storage", `restoring state failed, keeping state in memory: ${describe(e)}`, { cause: e });
      p.store = new MemoryStore();
      p.recordKey = `tab:${p.tabId}`;
    }
    if (options.userId) unwrap(engine.identify(options.userId));
    if (env) p.attachBrowser(env);
    // A tab that was unloading while this one started may still have held its lock: look again soon.
    if (p.options.autoFlush !== false) {
      const timer = setTimeout(() => void p.drainOrphans(), 1_500);
      p.teardown.push(() => clearTimeout(timer));
    }
    if (storageError) queueMicrotask(() => p.emit("error", storageError!));
    p.savedRevision = -1;
    p.schedule();
    return p;
  }

  // ---------------------------------------------------------------------------
  // State: claim a record, adopt orphans, persist
  // ---------------------------------------------------------------------------
  private lockName(recordKey: string): string {
    return `gradvy:${this.ns}:${recordKey}`;
  }

  private async claimState(): Promise<void> {
    const ownKey = `tab:${this.tabId}`;
    // onLost: only without Web Locks, when a tab frozen past the claim window finds its record adopted.
    const ownRelease = await locks.hold(this.lockName(ownKey), "strict", () => void this.moveToFreshRecord(ownKey));
    const records = (await this.store.list()).sort((a, b) => b.savedAt - a.savedAt).filter((r) => r.key !== ownKey);
    const orphans: Array<{ key: string; release: () => void }> = [];
    let freshestLive: string | null = null;
    for (const r of records) {
      const release = await locks.tryHold(this.lockName(r.key), "strict", () => void this.moveToFreshRecord(r.key));
      if (release) orphans.push({ key: r.key, release });
      else if (freshestLive === null) freshestLive = r.key;
    }
    const freshestKey = records[0]?.key ?? null;

    let adopted = false;
    const adopt = orphans.shift();
    if (adopt) {
      const record = await this.readRecord(adopt.key);
      // Fresh randomness: if the record's tab was only frozen, not gone, the two engines must still
      // never mint the same event id.
      if (record && this.engine.restore(withRandomnessOf(record.snapshot, this.engine.snapshot())).ok) {
        this.recordKey = adopt.key;
        this.releaseRecord = adopt.release;
        this.consentUnsynced = record.consent_unsynced;
        ownRelease();
        adopted = true;
      } else {
        orphans.unshift(adopt); // unreadable: drained (deleted) below
      }
    }
    if (!adopted) {
      this.recordKey = ownKey;
      this.releaseRecord = ownRelease;
      if (freshestLive) {
        const peer = await this.readRecord(freshestLive);
        const shared = peer && sharedPart(peer.snapshot, this.engine.snapshot());
        if (shared) this.engine.restore(shared);
      }
    }
    // The freshest record's consent is the learner's latest decision.
    if (freshestKey && freshestKey !== this.recordKey) {
      const latest = await this.readRecord(freshestKey);
      const granted = latest && this.grantedIn(latest.snapshot);
      if (granted) this.reconcileConsent(this.engine, granted);
    }
    for (const orphan of orphans) void this.drainOrphan(orphan.key, orphan.release);
  }

  /**
   * Without Web Locks a tab frozen longer than the claim window may find that another tab adopted its
   * record meanwhile (both now hold its lock). Keep this engine but write to a fresh record from now
   * on, so neither tab overwrites the other's events; the old record is drained once both let go.
   */
  private async moveToFreshRecord(lostKey: string): Promise<void> {
    if (this.destroyed || this.movingRecord || lostKey !== this.recordKey) return;
    this.movingRecord = true;
    try {
      const key = `tab:${randomHex(8)}`;
      const release = await locks.hold(this.lockName(key), "strict", () => void this.moveToFreshRecord(key));
      if (this.destroyed) {
        release();
        return;
      }
      const previous = this.releaseRecord;
      this.recordKey = key;
      this.releaseRecord = release;
      this.savedRevision = -1;
      previous?.();
      this.schedule();
    } finally {
      this.movingRecord = false;
    }
  }

  /** Records whose tab is gone (closed, reloaded, crashed) that nobody adopted at start: drain them. */
  private async drainOrphans(): Promise<void> {
    if (this.destroyed) return;
    let records: Array<{ key: string; savedAt: number }>;
    try {
      records = await this.store.list();
    } catch {
      return;
    }
    const drains: Array<Promise<void>> = [];
    for (const r of records) {
      if (r.key === this.recordKey || this.destroyed) continue;
      const release = await locks.tryHold(this.lockName(r.key));
      if (release) drains.push(this.drainOrphan(r.key, release));
    }
    await Promise.all(drains);
  }

  private async readRecord(key: string): Promise<TabRecord | null> {
    try {
      const value = await this.store.get(key);
      return value ? decodeRecord(value.text) : null;
    } catch {
      return null; // sealed under a destroyed key, or corrupt
    }
  }

  /** Granted purposes in a snapshot, read by a scratch engine. */
  private grantedIn(snapshot: string): Purpose[] | null {
    const scratch = this.core.createEngine(this.configJson, randomHex(16));
    if (!scratch.ok) return null;
    try {
      return scratch.value.restore(snapshot).ok ? scratch.value.consent().granted : null;
    } finally {
      scratch.value.delete();
    }
  }

  /** Makes `engine` grant exactly `granted` (withdrawals purge its queue). Not synced to the server:
   *  the tab where the learner decided does that. */
  private reconcileConsent(engine: Engine, granted: readonly Purpose[]): ConsentChange | null {
    const current = new Set(engine.consent().granted);
    const want = new Set(granted);
    const changes: Record<string, boolean> = {};
    for (const purpose of CONSENT_PURPOSES) {
      if (current.has(purpose) !== want.has(purpose)) changes[purpose] = want.has(purpose);
    }
    if (Object.keys(changes).length === 0) return null;
    const outcome = engine.setConsent(JSON.stringify(changes), this.now());
    return outcome.ok ? outcome.value : null;
  }

  /** Sends an orphaned record's consent decisions, then every event, with a scratch engine; then deletes
   *  the record. Whatever cannot go yet stays in the record (still an orphan for the next drain). */
  private async drainOrphan(key: string, release: () => void): Promise<void> {
    const record = await this.readRecord(key);
    const scratch = this.core.createEngine(this.configJson, randomHex(16));
    try {
      if (!record || !scratch.ok || !scratch.value.restore(record.snapshot).ok) {
        await this.store.delete(key).catch(() => undefined);
        return;
      }
      const engine = scratch.value;
      this.reconcileConsent(engine, this.engine.consent().granted);
      // The decisions its tab made but never stored on the server are the learner's consent record:
      // they go first (the server filters events by its own consent view) and are never dropped.
      let unsynced = record.consent_unsynced;
      const outstanding = () => heldIn(engine) + unsynced.length;
      const keep = () => this.store.put(key, encodeRecord({ v: 1, snapshot: engine.snapshot(), consent_unsynced: unsynced }), this.now());
      if (!this.transport) {
        // Nowhere to send: keep it (still an orphan for the next start) unless it is empty.
        if (outstanding() === 0) await this.store.delete(key);
        return;
      }
      // Retried until stored (or this tab goes): only then may the events follow.
      for (let attempt = 0; unsynced.length > 0; attempt++) {
        if (await this.putConsent(unsynced)) {
          unsynced = [];
          break;
        }
        await this.pause(Math.min(1_000 * 2 ** attempt, 30_000));
        if (this.destroyed) return;
      }
      engine.unpark(this.now(), false);
      for (let rounds = 0; rounds < 10_000 && !this.destroyed; rounds++) {
        const batch = engine.takeBatch(this.now(), true);
        if (!batch) {
          const stats = engine.stats();
          const left = stats.queued + stats.in_flight + stats.retry_waiting;
          if (left === 0) break;
          const wake = engine.nextWakeupMs(this.now());
          await this.pause(Math.min(Math.max((wake ?? this.now() + 1000) - this.now(), 50), 30_000));
          continue;
        }
        await this.sendWith(engine, batch, false);
        if (outstanding() > 0) await keep();
      }
      if (this.destroyed) return; // the record as last kept stays an orphan; its store is closed
      if (outstanding() === 0) await this.store.delete(key);
      else await keep();
    } catch (e) {
      this.emit("error", new PersonalizeError("storage", `draining an orphaned record failed: ${describe(e)}`, { cause: e }));
    } finally {
      if (scratch.ok) scratch.value.delete();
      release();
    }
  }

  /** Waits ms, or less if destroy() comes first. */
  private pause(ms: number): Promise<void> {
    if (this.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const end = () => {
        clearTimeout(timer);
        this.pauses.delete(end);
        resolve();
      };
      const timer = setTimeout(end, ms);
      this.pauses.add(end);
    });
  }

  /** Coalesces persistence, delivery scheduling and change events into one task per burst. */
  private schedule(): void {
    if (this.tickScheduled || this.destroyed) return;
    this.tickScheduled = true;
    setTimeout(() => {
      this.tickScheduled = false;
      this.tick();
    }, 0);
  }

  private tick(): void {
    if (this.destroyed) return;
    const revision = this.engine.revision();
    if (revision !== this.savedRevision) void this.save();
    this.reportDrops();
    if (this.options.autoFlush !== false) {
      // Events are held, or consent lets the next one be: have a token ready before the page can hide
      // (see onHide). Asking only once events are held left a reload right after the first events of a
      // page with neither a token nor a finished IndexedDB write (a CI run lost 4 events that way).
      if (this.pageCanHide && this.transport && !this.transport.canSendOnHide && !this.offline && (this.held() > 0 || this.mayUpload())) {
        this.transport.prefetchToken();
      }
      this.pump();
    }
  }

  /** Writes the record if the engine moved since the last write; one write at a time. */
  private save(): Promise<void> {
    if (this.saving) {
      this.saveAgain = true;
      return this.saving;
    }
    const run = async (): Promise<void> => {
      do {
        this.saveAgain = false;
        const revision = this.engine.revision();
        if (revision === this.savedRevision || this.destroyed) break;
        if (this.forgotten) {
          this.savedRevision = revision;
          break;
        }
        const text = encodeRecord({ v: 1, snapshot: this.engine.snapshot(), consent_unsynced: this.consentUnsynced });
        try {
          await this.store.put(this.recordKey, text, this.now());
          this.savedRevision = revision;
        } catch (e) {
          // Quota or IndexedDB failure: keep going in memory, say so once.
          const failed = this.store;
          this.store = new MemoryStore();
          await this.store.put(this.recordKey, text, this.now());
          this.savedRevision = revision;
          failed.close();
          this.emit("error", new PersonalizeError("storage", `saving state failed, now keeping it in memory: ${describe(e)}`, { cause: e }));
        }
      } while (this.saveAgain);
    };
    this.saving = run().finally(() => {
      this.saving = null;
    });
    return this.saving;
  }

  /** Persists now (used by tests and on page hide); resolves when the write finished. */
  async persist(): Promise<void> {
    if (this.saving) await this.saving;
    await this.save();
  }

  private touched(): void {
    this.forgotten = false;
    this.schedule();
  }

  // ---------------------------------------------------------------------------
  // Browser wiring
  // ---------------------------------------------------------------------------
  private attachBrowser(env: BrowserEnv): void {
    const { window, document } = env;
    const nav = window.navigator as Navigator & { globalPrivacyControl?: boolean };
    if (this.options.respectGpc !== false && nav.globalPrivacyControl === true) {
      const r = this.engine.setGpc(true, this.now());
      if (r.ok && (r.value.withdrawn.length > 0 || r.value.records_added > 0)) this.afterConsent(r.value, false);
    }
    this.offline = nav.onLine === false;
    this.pageCanHide = true;
    const on = <K extends keyof WindowEventMap>(target: Window | Document, type: K | string, fn: (e: Event) => void) => {
      target.addEventListener(type, fn);
      this.teardown.push(() => target.removeEventListener(type, fn));
    };
    on(window, "online", () => {
      this.offline = false;
      this.engine.unpark(this.now(), false);
      this.touched();
    });
    on(window, "offline", () => {
      this.offline = true;
    });
    on(window, "pagehide", () => this.onHide());
    on(document, "visibilitychange", () => {
      if (document.visibilityState === "hidden") this.onHide();
    });
    if (typeof BroadcastChannel !== "undefined") {
      this.channel = new BroadcastChannel(`gradvy:${this.ns}`);
      this.channel.onmessage = (e: MessageEvent<ChannelMessage>) => this.onChannel(e.data);
    }
    this.engine.unpark(this.now(), false); // page load: exhausted batches get another round
  }

  private onChannel(msg: ChannelMessage): void {
    if (this.destroyed || !msg || msg.from === this.tabId) return;
    if (msg.type === "consent" && msg.granted) {
      const change = this.reconcileConsent(this.engine, msg.granted);
      if (change) {
        this.emit("consent", { consent: this.engine.consent(), change });
        this.touched();
      }
    } else if (msg.type === "forget") {
      this.engine.forget();
      this.consentUnsynced = [];
      this.forgotten = true;
      this.savedRevision = this.engine.revision();
    } else if (msg.type === "local_only" && typeof msg.on === "boolean") {
      this.engine.setLocalOnly(msg.on);
      this.touched();
    }
  }

  private broadcast(msg: Omit<ChannelMessage, "from">): void {
    try {
      this.channel?.postMessage({ ...msg, from: this.tabId });
    } catch {
      /* a closed channel: nothing to tell */
    }
  }

  /** Page hide: persist, then hand whatever is queued to keepalive fetches within the 64 KiB budget. */
  private onHide(): void {
    if (this.destroyed || this.options.autoFlush === false) return;
    // Without a token a keepalive request can only be refused (401) and the page cannot wait for
    // getToken(): the events stay queued and go with the saved record instead.
    if (this.transport && !this.offline && this.transport.canSendOnHide) {
      // Batches this page is posting (a plain fetch dies with the page) or still waiting to post
      // (send lock, token) go again with keepalive; the server dedupes on batch and event ids. Without
      // this, events tracked just before a reload could depend on an IndexedDB write finishing in time.
      for (const body of this.sending.values()) void this.transport.postBatchOnHide(body);
      for (let i = 0; i < 8; i++) {
        const batch = this.engine.takeBatch(this.now(), true);
        if (!batch) break;
        // If the page survives (tab switch), the answer is applied as usual; if it does not, the
        // batch is in flight in the saved record and is resent on the next start (server dedupes).
        void this.transport.postBatchOnHide(batch.body).then((outcome) => this.settle(this.engine, batch, outcome, true));
      }
    }
    void this.save();
  }

  // ---------------------------------------------------------------------------
  // Delivery
  // ---------------------------------------------------------------------------
  private pump(): void {
    if (this.draining || !this.transport || this.offline || this.destroyed) return;
    const now = this.now();
    const wake = this.engine.nextWakeupMs(now);
    if (wake !== null && wake <= now) {
      void this.drain(false);
      return;
    }
    this.armWake(wake);
  }

  private armWake(wake: number | null): void {
    if (wake === null) return;
    if (this.wakeTimer !== null && wake >= this.wakeAt) return;
    if (this.wakeTimer !== null) clearTimeout(this.wakeTimer);
    this.wakeAt = wake;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = null;
      this.wakeAt = Infinity;
      this.pump();
    }, Math.max(0, Math.min(wake - this.now(), 2 ** 31 - 1)));
  }

  /** Sends batches until the core has nothing due (or everything, when forced). One drain at a time. */
  private drain(force: boolean): Promise<FlushResult> {
    if (this.draining) {
      return this.draining.then(() => (force ? this.drain(true) : { sent: 0, held: this.held() }));
    }
    const run = async (): Promise<FlushResult> => {
      let sent = 0;
      if (!this.transport || this.destroyed) return { sent, held: this.held() };
      if (!(await this.syncConsent())) return { sent, held: this.held() };
      await this.sendAggregates();
      for (let i = 0; i < 10_000 && !this.destroyed && !this.offline; i++) {
        const batch = this.engine.takeBatch(this.now(), force);
        if (!batch) break;
        sent += await this.sendWith(this.engine, batch, false);
      }
      return { sent, held: this.held() };
    };
    this.draining = run().finally(() => {
      this.draining = null;
      this.schedule();
    });
    return this.draining;
  }

  /** One batch, serialized across tabs; returns the events acknowledged. */
  private async sendWith(engine: Engine, batch: Batch, keepalive: boolean): Promise<number> {
    const transport = this.transport!;
    const own = engine === this.engine;
    if (own) this.sending.set(batch.batchId, batch.body);
    try {
      // "polite": two tabs posting different batches at once is harmless (each event lives in one engine).
      const outcome = await locks.exclusive(`gradvy:${this.ns}:send`, () => transport.postBatch(batch.body, keepalive), "polite");
      return this.settle(engine, batch, outcome, own);
    } finally {
      if (own) this.sending.delete(batch.batchId);
    }
  }

  private settle(engine: Engine, batch: Batch, outcome: DeliveryOutcome, own: boolean): number {
    if (this.destroyed && own) return 0;
    const now = this.now();
    let acked = 0;
    let action: PersonalizerEventMapFlushOutcome;
    if (outcome.kind === "ack") {
      const r = engine.ack(batch.batchId, now);
      acked = r.ok ? r.value.acked : 0;
      action = "acked";
    } else {
      const r = engine.fail(batch.batchId, outcome.options, now);
      action = r.ok ? r.value.action : "already_gone";
      if (outcome.status !== 0 || !this.offline) {
        this.emit("error", new PersonalizeError(outcome.status === 0 ? "network" : outcome.status === 401 ? "unauthorized" : "server",
          `POST /v1/batch: ${outcome.status === 0 ? "no answer" : `HTTP ${outcome.status}`} ${outcome.message}`.trim(),
          outcome.status === 0 ? undefined : { status: outcome.status }));
      }
    }
    this.emit("flush", { batchId: batch.batchId, events: batch.eventCount, attempt: batch.attempt, status: outcome.status, outcome: action });
    if (own) this.schedule();
    return acked;
  }

  /** Whether any purpose beyond essential is granted, i.e. what the learner does next may be sent. */
  private mayUpload(): boolean {
    return this.engine.consent().granted.length > 1;
  }

  private held(): number {
    return heldIn(this.engine);
  }

  /** PUT /v1/consent with the app's changes the server has not stored yet; false = try later. */
  private async syncConsent(): Promise<boolean> {
    if (!this.transport || this.consentUnsynced.length === 0) return true;
    const records = this.consentUnsynced.slice();
    if (!(await this.putConsent(records))) {
      this.armWake(this.now() + 5_000);
      return false;
    }
    this.consentUnsynced = this.consentUnsynced.slice(records.length);
    this.touched();
    return true;
  }

  /** Stores consent records on the server; false (and an error event) when that failed. */
  private async putConsent(records: readonly ConsentRecord[]): Promise<boolean> {
    try {
      await this.transport!.json("PUT", "/v1/consent", records);
      return true;
    } catch (e) {
      this.emit("error", e instanceof PersonalizeError ? e : new PersonalizeError("network", describe(e)));
      return false;
    }
  }

  private async sendAggregates(): Promise<void> {
    if (!this.transport) return;
    const report: AggregateReport | null = this.engine.takeAggregates(this.now());
    if (!report) return;
    const deviceId = String(this.engine.exportData(this.now()).device_id ?? "");
    try {
      await this.transport.json("POST", "/v1/aggregates", { device_id: deviceId, ...report });
    } catch (e) {
      this.emit("error", e instanceof PersonalizeError ? e : new PersonalizeError("network", describe(e)));
    }
    this.touched();
  }

  // ---------------------------------------------------------------------------
  // Events
  // ---------------------------------------------------------------------------
  /** Subscribes to flush / drop / error / consent / profile; returns the unsubscribe function. */
  on<K extends keyof PersonalizerEventMap>(type: K, listener: (event: PersonalizerEventMap[K]) => void): () => void {
    let set = this.listeners.get(type);
    if (!set) {
      set = new Set();
      this.listeners.set(type, set);
    }
    set.add(listener as Listener<never>);
    if (type === "drop" && this.lastDropped === null) this.lastDropped = this.engine.stats().dropped;
    return () => {
      set!.delete(listener as Listener<never>);
    };
  }

  private emit<K extends keyof PersonalizerEventMap>(type: K, event: PersonalizerEventMap[K]): void {
    const set = this.listeners.get(type);
    if (!set || set.size === 0) return;
    for (const fn of [...set]) {
      try {
        (fn as Listener<K>)(event);
      } catch (e) {
        if (type !== "error") this.emit("error", new PersonalizeError("internal", `a ${type} listener threw: ${describe(e)}`, { cause: e }));
      }
    }
  }

  private hasListeners(type: keyof PersonalizerEventMap): boolean {
    return (this.listeners.get(type)?.size ?? 0) > 0;
  }

  private reportDrops(): void {
    if (!this.hasListeners("drop")) return;
    const now = this.engine.stats().dropped;
    const before = this.lastDropped ?? now;
    this.lastDropped = now;
    const reasons: Array<[keyof Stats["dropped"], DropEvent["reason"]]> = [
      ["no_consent", "no_consent"],
      ["consent_withdrawn", "consent_withdrawn"],
      ["overflow", "overflow"],
      ["too_large", "too_large"],
      ["local_only", "local_only"],
      ["forgotten", "forgotten"],
    ];
    for (const [key, reason] of reasons) {
      const count = (now[key] ?? 0) - (before[key] ?? 0);
      if (count > 0) this.emit("drop", { reason, count });
    }
  }

  private profileMaybeChanged(): void {
    if (!this.hasListeners("profile")) return;
    const revision = this.engine.revision();
    if (revision === this.lastProfiledRevision) return;
    this.lastProfiledRevision = revision;
    queueMicrotask(() => this.emit("profile", { revision }));
  }

  // ---------------------------------------------------------------------------
  // Public API
  // ---------------------------------------------------------------------------
  private alive(): void {
    if (this.destroyed) throw new PersonalizeError("destroyed", "this personalizer was destroyed");
  }

  private context(): string {
    if (this.ctxFresh) return this.ctxJson;
    const g = globalThis as { location?: Location; document?: Document; navigator?: Navigator };
    if (!g.location || !g.document) return "";
    this.ctxFresh = true;
    queueMicrotask(() => {
      this.ctxFresh = false;
    });
    const href = g.location.href;
    if (href !== this.ctxHref) {
      this.ctxHref = href;
      const ctx: EventContext = { page_url: g.location.origin + g.location.pathname };
      if (g.document.referrer) ctx.referrer = g.document.referrer;
      if (g.navigator?.language) ctx.locale = g.navigator.language;
      this.ctxJson = JSON.stringify(ctx);
    }
    return this.ctxJson;
  }

  /** Records an event. Throws PersonalizeError (invalid_event, invalid_json, event_too_large, limit_exceeded...)
   *  when the core refuses it; nothing is half-stored. */
  track(type: string, props: Record<string, unknown> = {}, context?: EventContext): TrackOutcome {
    this.alive();
    const ctx = context ? JSON.stringify(context) : this.context();
    const propsJson = JSON.stringify(props) as string | undefined;
    if (typeof type !== "string" || propsJson === undefined) throw badTrackArguments(type);
    const r = this.wasmTrack.track(type, propsJson, ctx, this.now());
    if (r < 0) {
      const err = this.engine.lastError();
      throw new PersonalizeError(err.code, err.message);
    }
    this.forgotten = false;
    this.schedule();
    if (r & 2) this.profileMaybeChanged();
    return TRACK_OUTCOMES[r & 7];
  }

  /** Sets the pseudonymous learner id stamped on later events ("" clears it). E-mail-like ids are refused. */
  identify(userId: string): void {
    this.alive();
    unwrap(this.engine.identify(userId));
    this.touched();
  }

  private afterConsent(change: ConsentChange, fromApp: boolean): ConsentChange {
    if (fromApp && change.records_added > 0) {
      const history = this.engine.consent().history;
      this.consentUnsynced.push(...history.slice(-change.records_added));
    }
    this.broadcast({ type: "consent", granted: this.engine.consent().granted });
    this.emit("consent", { consent: this.engine.consent(), change });
    this.touched();
    this.profileMaybeChanged();
    return change;
  }

  /** The app's own toggles, e.g. {analytics: true, personalization: false}. Withdrawals purge queued events
   *  (memory and storage) before the promise resolves. */
  async setConsent(changes: ConsentChanges): Promise<ConsentChange> {
    this.alive();
    const change = this.afterConsent(unwrap(this.engine.setConsent(JSON.stringify(changes), this.now())), true);
    await this.persist();
    return change;
  }

  /** An IAB TCF v2.2 TC string; a malformed one throws invalid_tc_string and grants nothing. */
  async applyTcfString(tcString: string): Promise<ConsentChange> {
    this.alive();
    const change = this.afterConsent(unwrap(this.engine.applyTcf(tcString, this.now())), true);
    await this.persist();
    return change;
  }

  /** Google Consent Mode v2 state. */
  async applyConsentMode(state: ConsentModeState): Promise<ConsentChange> {
    this.alive();
    const change = this.afterConsent(unwrap(this.engine.applyConsentMode(JSON.stringify(state), this.now())), true);
    await this.persist();
    return change;
  }

  /** Global Privacy Control (read from navigator.globalPrivacyControl at start; call to change it). */
  async setGpc(on: boolean): Promise<ConsentChange> {
    this.alive();
    const change = this.afterConsent(unwrap(this.engine.setGpc(on, this.now())), true);
    await this.persist();
    return change;
  }

  getConsent(): ConsentView {
    this.alive();
    return this.engine.consent();
  }

  /** Local-only: raw events never leave the device (queued ones are purged); with analytics consent
   *  only noised aggregates are sent. */
  async setLocalOnly(on: boolean): Promise<number> {
    this.alive();
    const purged = this.engine.setLocalOnly(on);
    this.broadcast({ type: "local_only", on });
    this.touched();
    await this.persist();
    return purged;
  }

  setPreferences(preferences: Preferences): void {
    this.alive();
    unwrap(this.engine.setPreferences(JSON.stringify(preferences)));
    this.touched();
    this.profileMaybeChanged();
  }

  /**
   * Re-ranks candidates on the device. Candidates are plain objects (metadata + optional `embedding`);
   * they are packed into one Float32Array and copied into the wasm heap once per candidate list:
   * passing the same array again (e.g. on every render) reuses the cached set.
   */
  rerank<C extends CandidateInput>(candidates: readonly C[] | PackedCandidates, options: RerankOptions = {}): RerankResult<C> {
    this.alive();
    this.loadCandidates(candidates);
    const ranking: Ranking = unwrap(this.engine.rerank(JSON.stringify(options), this.now()));
    const list = this.candidatesList as readonly C[];
    return { ...ranking, items: ranking.items.map((item) => ({ ...item, candidate: list[item.index] })) };
  }

  private loadCandidates(candidates: readonly CandidateInput[] | PackedCandidates): void {
    if (candidates === this.candidatesRef && this.candidatesVersion === this.candidatesListVersion(candidates)) return;
    let items: unknown[];
    let packed: Float32Array;
    let d: number;
    if (Array.isArray(candidates)) {
      const list = candidates as readonly CandidateInput[];
      const n = list.length;
      d = 0;
      for (const c of list) {
        if (c === null || typeof c !== "object") throw new PersonalizeError("invalid_argument", "candidates: every item must be an object");
        if (c.embedding != null) {
          d = c.embedding.length;
          break;
        }
      }
      // Metadata-only candidates (no embeddings anywhere): one zero column, so interest similarity is neutral.
      const metadataOnly = d === 0;
      if (metadataOnly) d = 1;
      packed = new Float32Array(n * d);
      items = new Array(n);
      for (let i = 0; i < n; i++) {
        const c = list[i];
        if (c === null || typeof c !== "object") throw new PersonalizeError("invalid_argument", `candidates[${i}]: must be an object`);
        const meta: Record<string, unknown> = {};
        for (const f of CANDIDATE_FIELDS) if (c[f] !== undefined) meta[f] = c[f];
        if (meta.duration_minutes === undefined && typeof c.duration_min === "number") meta.duration_minutes = c.duration_min;
        items[i] = meta;
        if (!metadataOnly) {
          const e = c.embedding;
          if (e == null || e.length !== d) {
            throw new PersonalizeError("dimension_mismatch", `candidates[${i}].embedding: must have ${d} numbers like candidates[0] (has ${e == null ? "none" : e.length})`);
          }
          packed.set(e as ArrayLike<number>, i * d);
        }
      }
      this.candidatesList = list;
    } else if (candidates && typeof candidates === "object" && Array.isArray((candidates as PackedCandidates).items)) {
      const p = candidates as PackedCandidates;
      items = p.items;
      packed = p.embeddings;
      d = p.dimension;
      if (!(packed instanceof Float32Array)) throw new PersonalizeError("invalid_argument", "candidates.embeddings: must be a Float32Array");
      if (!Number.isInteger(d) || d < 0) throw new PersonalizeError("invalid_argument", "candidates.dimension: must be a non-negative integer");
      if (packed.length !== items.length * d) {
        throw new PersonalizeError("dimension_mismatch", `candidates.embeddings: has ${packed.length} floats, expected ${items.length} x ${d}`);
      }
      this.candidatesList = p.items as unknown as CandidateInput[];
    } else {
      throw new PersonalizeError("invalid_argument", "candidates: must be an array of candidate objects or {items, embeddings, dimension}");
    }
    const bytes = packed.length * 4;
    const ptr = bytes > 0 ? this.core._malloc(bytes) : 0;
    try {
      if (bytes > 0) this.core.HEAPF32.set(packed, ptr >> 2);
      unwrap(this.engine.setCandidates(JSON.stringify(items), ptr, items.length, d));
    } catch (e) {
      this.candidatesRef = null;
      throw e;
    } finally {
      if (ptr) this.core._free(ptr);
    }
    this.candidatesRef = candidates;
    this.candidatesVersion = this.candidatesListVersion(candidates);
  }

  /** Cheap guard against an array mutated in place between calls (same reference, new length). */
  private candidatesListVersion(candidates: unknown): number {
    return Array.isArray(candidates) ? candidates.length : ((candidates as PackedCandidates).items?.length ?? -1);
  }

  /** thumbs_up / thumbs_down / dismissed: changes the very next rerank; queued as an event with consent. */
  feedback(itemId: string, kind: "thumbs_up" | "thumbs_down" | "dismissed", reason = ""): { queued: boolean; profiled: boolean } {
    this.alive();
    const r = unwrap(this.engine.feedback(itemId, kind, reason, this.now()));
    this.touched();
    this.profileMaybeChanged();
    return r;
  }

  /** Deterministic experiment assignment; queues an exposure event with analytics consent.
   *  variants: names (equal weights) or {name: weight}. */
  variant(experiment: string, variants: ReadonlyArray<string | { name: string; weight: number }> | Record<string, number>): VariantAssignment {
    this.alive();
    const list = Array.isArray(variants)
      ? variants.map((v) => (typeof v === "string" ? { name: v, weight: 1 } : v))
      : Object.entries(variants).map(([name, weight]) => ({ name, weight }));
    const r = unwrap(this.engine.variant(experiment, JSON.stringify(list), this.now()));
    this.touched();
    return r;
  }

  profile(): ProfileView {
    this.alive();
    return this.engine.profile(this.now());
  }

  insights(): Insights {
    this.alive();
    return this.engine.insights(this.now());
  }

  stats(): Stats {
    this.alive();
    return this.engine.stats();
  }

  /** Sends everything queued now (ignoring the batch triggers, not a server's back-off). */
  async flush(): Promise<FlushResult> {
    this.alive();
    if (!this.transport) throw new PersonalizeError("not_configured", "flush: no endpoint was given to createPersonalizer");
    await this.drainOrphans();
    const result = await this.drain(true);
    await this.persist();
    return result;
  }

  /** Everything held about the learner: on this device and (with an endpoint, unless server: false) on the server. */
  async exportData(options: { server?: boolean } = {}): Promise<ExportResult> {
    this.alive();
    const device = this.engine.exportData(this.now());
    const server =
      this.transport && options.server !== false ? await this.transport.json<Record<string, unknown>>("GET", "/v1/me/export") : null;
    return { device, server };
  }

  /**
   * The right to erasure: wipes the device (queue, profile, consent, ids; every tab's record and the
   * encryption key) and asks the server to delete the learner (DELETE /v1/me). Returns the receipt.
   * The device is wiped even if the server call fails (the error is thrown after the wipe).
   */
  async forgetMe(): Promise<DeletionResult> {
    this.alive();
    if (this.draining) await this.draining.catch(() => undefined);
    this.engine.forget();
    this.consentUnsynced = [];
    this.candidatesRef = null;
    this.forgotten = true;
    this.broadcast({ type: "forget" });
    if (this.saving) await this.saving.catch(() => undefined);
    this.savedRevision = this.engine.revision();
    await this.store.destroy();
    const server = this.transport ? await this.transport.json<Record<string, unknown>>("DELETE", "/v1/me") : null;
    this.transport?.forgetToken();
    this.emit("consent", { consent: this.engine.consent(), change: { granted: [], withdrawn: [], refused_by_gpc: [], records_added: 0, purged: 0 } });
    this.profileMaybeChanged();
    return { device: { wiped: true }, server };
  }

  /** Stops timers and listeners, writes the state one last time and frees the engine. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    await this.persist().catch(() => undefined);
    if (this.draining) await this.draining.catch(() => undefined);
    this.destroyed = true;
    for (const end of [...this.pauses]) end();
    if (this.wakeTimer !== null) clearTimeout(this.wakeTimer);
    for (const fn of this.teardown) fn();
    this.channel?.close();
    this.listeners.clear();
    this.releaseRecord?.();
    this.store.close();
    this.wasmTrack.free();
    this.engine.delete();
  }

  /** True once destroy() was called. */
  get isDestroyed(): boolean {
    return this.destroyed;
  }

  /** Where the state is kept: "indexeddb" or "memory" (Node, SSR, or after a storage failure). */
  get storageKind(): "indexeddb" | "memory" {
    return this.store.kind;
  }
}

type PersonalizerEventMapFlushOutcome = PersonalizerEventMap["flush"]["outcome"];

/** `snapshot` with the random state of `fresh` (a just-created engine's snapshot); unchanged if unreadable. */
function withRandomnessOf(snapshot: string, fresh: string): string {
  try {
    const doc = JSON.parse(snapshot) as Record<string, unknown>;
    const own = JSON.parse(fresh) as Record<string, unknown>;
    if (!("rng" in doc) || !("rng" in own)) return snapshot;
    doc.rng = own.rng;
    return JSON.stringify(doc);
  } catch {
    return snapshot;
  }
}

/** track() called from plain JS with a non-string type or props JSON.stringify cannot serialise. */
function badTrackArguments(type: unknown): PersonalizeError {
  return typeof type !== "string"
    ? new PersonalizeError("invalid_event", `type: must be a string, got ${typeof type}`)
    : new PersonalizeError("invalid_json", "props: must be an object JSON.stringify can serialise");
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Events an engine still holds for the server: queued, in flight, waiting for a retry or parked. */
function heldIn(engine: Engine): number {
  const s = engine.stats();
  return s.queued + s.in_flight + s.retry_waiting + s.parked;
}
