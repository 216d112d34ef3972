// Cross-tab exclusive locks over a BroadcastChannel, for browsers without Web
// Locks. Every tab (JS realm) runs one ChannelLocks on the same channel.
//
// Protocol (messages carry the lock name and the sender's realm id):
// - claim: a realm that wants a free name broadcasts `claim` with its ticket
//   (first-request time, then a unique id) and listens for a claim window. The
//   holder answers `held` (addressed to that ticket); a realm claiming the same
//   name with an older ticket answers too, so of simultaneous claims the
//   oldest wins. Silence for the whole window means free: the realm now holds
//   the name and announces it with a heartbeat. Before deciding, the claimant
//   sends itself a `sync` through the channel and decides when it comes back,
//   so answers that arrived while its own thread was busy are read first.
// - The window is the longest a live holder may be unable to answer (a long
//   task on its main thread). "strict" locks, where a wrong takeover would
//   break correctness (a tab's record), wait claimWindowMs (1 s); "polite"
//   ones, where two holders only cost politeness (whose turn it is to send),
//   wait politeClaimWindowMs (150 ms).
// - Holders answer every claim the moment it arrives (message handlers are not
//   throttled like timers in background tabs) and also heartbeat their names
//   every heartbeatMs, so waiters need not ask while the holder is alive.
// - release: broadcast; waiters claim again at once, keeping their ticket (the
//   longest waiter wins the next round).
// - Takeover: a waiter that heard nothing from the holder for leaseMs claims
//   again; a closed or crashed tab answers nothing, so its names fall free. A
//   live holder still answers that claim, so a late heartbeat never costs it
//   the lock: the decision is always an unanswered claim, not a missed beat.
// Assumption (the price of having no shared lock manager): a live tab answers
// within the claim window. When it did not (it was frozen or blocked longer),
// two tabs hold the name; each hears the other's heartbeat and the holder's
// onLost callback runs, so the owner of the name can step aside. Within one
// realm, requests for a name are served first come, first served.
import { randomHex } from "./random.js";
import { once, type Release } from "./release.js";

export type { Release };

/** The part of BroadcastChannel this uses (Node and browsers both have it). */
export interface ChannelLike {
  postMessage(message: unknown): void;
  close(): void;
  onmessage: ((event: MessageEvent) => void) | null;
}

export interface ChannelLockOptions {
  /** BroadcastChannel name shared by every tab; lock names are global within it. */
  channelName?: string;
  /** How long a claim on a "strict" lock listens for an answer before the name counts as free. */
  claimWindowMs?: number;
  /** The same for a "polite" lock (two holders at once would be harmless). */
  politeClaimWindowMs?: number;
  /** How often a holder tells the others it is alive. */
  heartbeatMs?: number;
  /** Silence from a holder after which a waiter claims again (the takeover). */
  leaseMs?: number;
  createChannel?: (name: string) => ChannelLike;
}

export const CHANNEL_LOCK_DEFAULTS = Object.freeze({
  channelName: "gradvy:locks",
  claimWindowMs: 1_000,
  politeClaimWindowMs: 150,
  heartbeatMs: 1_000,
  leaseMs: 3_000,
});

interface Ticket {
  at: number;
  id: string;
}

type Message =
  | { t: "claim"; name: string; from: string; at: number; id: string }
  | { t: "held"; name: string; from: string; to: string }
  | { t: "beat"; names: string[]; from: string }
  | { t: "release"; name: string; from: string }
  | { t: "sync"; from: string; seq: number };

/** "strict": a wrong takeover would break correctness; "polite": it would only break turn-taking. */
export type LockStrictness = "strict" | "polite";

interface Request {
  ticket: Ticket;
  wait: boolean;
  windowMs: number;
  onLost?: () => void;
  grant: (release: Release | null) => void;
}

interface Claim {
  ticket: Ticket;
  lose: () => void;
}

interface NameState {
  /** Local requesters, first come first served; queue[0] holds the name or is acquiring it. */
  queue: Request[];
  /** This realm holds the name across tabs. */
  owned: boolean;
  claim: Claim | null;
  /** Last sign of life (held/beat/claim) from another realm about this name. */
  heardAt: number;
  /** Ends a waiter's pause early (a release was announced). */
  wake: (() => void) | null;
}

function older(a: Ticket, b: Ticket): boolean {
  return a.at < b.at || (a.at === b.at && a.id < b.id);
}

export class ChannelLocks {
  readonly realmId = randomHex(8);
  private readonly channel: ChannelLike;
  /** Second handle on the same channel: what it posts queues behind everything already received. */
  private readonly echo: ChannelLike;
  private readonly syncs = new Map<number, () => void>();
  private syncSeq = 0;
  private readonly claimWindowMs: number;
  private readonly politeClaimWindowMs: number;
  private readonly heartbeatMs: number;
  private readonly leaseMs: number;
  private readonly states = new Map<string, NameState>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private requests = 0;
  private closed = false;

  constructor(options: ChannelLockOptions = {}) {
    this.claimWindowMs = options.claimWindowMs ?? CHANNEL_LOCK_DEFAULTS.claimWindowMs;
    this.politeClaimWindowMs = options.politeClaimWindowMs ?? CHANNEL_LOCK_DEFAULTS.politeClaimWindowMs;
    this.heartbeatMs = options.heartbeatMs ?? CHANNEL_LOCK_DEFAULTS.heartbeatMs;
    this.leaseMs = options.leaseMs ?? CHANNEL_LOCK_DEFAULTS.leaseMs;
    const name = options.channelName ?? CHANNEL_LOCK_DEFAULTS.channelName;
    const create = options.createChannel ?? ((n: string) => new BroadcastChannel(n) as unknown as ChannelLike);
    this.channel = create(name);
    this.echo = create(name);
    this.channel.onmessage = (e: MessageEvent) => this.onMessage(e.data as Message);
  }

  /** Waits for `name` and holds it across tabs until the returned release() is called. onLost runs
   *  (while it is held) if another tab turns out to hold it too. */
  hold(name: string, strictness: LockStrictness = "strict", onLost?: () => void): Promise<Release> {
    return this.request(name, true, strictness, onLost) as Promise<Release>;
  }

  /** Takes `name` only if no tab (this one included) holds or is taking it; null otherwise. */
  tryHold(name: string, strictness: LockStrictness = "strict", onLost?: () => void): Promise<Release | null> {
    const s = this.states.get(name);
    if (s && s.queue.length > 0) return Promise.resolve(null);
    return this.request(name, false, strictness, onLost);
  }

  /** Names this realm holds across tabs (for tests and diagnostics). */
  heldNames(): string[] {
    return [...this.states].filter(([, s]) => s.owned).map(([name]) => name);
  }

  /** Releases every held name (announced), then stops. Pending requests never resolve. */
  close(): void {
    if (this.closed) return;
    for (const name of this.heldNames()) this.post({ t: "release", name, from: this.realmId });
    this.stop();
  }

  /** Stops without a word, like a tab that crashed or was killed (tests use it). */
  abandon(): void {
    this.stop();
  }

  private stop(): void {
    this.closed = true;
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.heartbeat = null;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const s of this.states.values()) {
      s.owned = false;
      s.claim = null;
      s.wake = null;
    }
    this.states.clear();
    this.syncs.clear();
    this.channel.onmessage = null;
    this.channel.close();
    this.echo.close();
  }

  private request(name: string, wait: boolean, strictness: LockStrictness, onLost?: () => void): Promise<Release | null> {
    if (this.closed) return wait ? new Promise(() => undefined) : Promise.resolve(null);
    let s = this.states.get(name);
    if (!s) {
      s = { queue: [], owned: false, claim: null, heardAt: 0, wake: null };
      this.states.set(name, s);
    }
    const state = s;
    return new Promise<Release | null>((grant) => {
      const windowMs = strictness === "polite" ? this.politeClaimWindowMs : this.claimWindowMs;
      state.queue.push({ ticket: { at: Date.now(), id: `${this.realmId}:${++this.requests}` }, wait, windowMs, onLost, grant });
      if (state.queue.length === 1) void this.serve(name, state);
    });
  }

  /** Serves the local queue of `name` until it is empty, then releases the name across tabs. */
  private async serve(name: string, s: NameState): Promise<void> {
    while (s.queue.length > 0 && !this.closed) {
      const head = s.queue[0];
      if (!s.owned && !(await this.acquire(name, s, head))) {
        if (this.closed) return;
        s.queue.shift();
        head.grant(null);
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((released) => head.grant(once(released)));
      s.queue.shift();
    }
    if (this.closed) return;
    if (s.owned) {
      s.owned = false;
      this.post({ t: "release", name, from: this.realmId });
      if (this.heldNames().length === 0) this.stopHeartbeat();
    }
    if (s.queue.length === 0 && s.claim === null) this.states.delete(name);
  }

  /** Claims until it wins (or, for tryHold, once). */
  private async acquire(name: string, s: NameState, head: Request): Promise<boolean> {
    for (;;) {
      if (this.closed) return false;
      if (await this.claimRound(name, s, head.ticket, head.windowMs)) {
        s.owned = true;
        this.post({ t: "beat", names: [name], from: this.realmId });
        this.startHeartbeat();
        return true;
      }
      if (!head.wait || this.closed) return false;
      await this.pause(s);
    }
  }

  /** One claim: true if nobody objected within the window (and before the sync that closes it). */
  private claimRound(name: string, s: NameState, ticket: Ticket, windowMs: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      let lost = false;
      let settled = false;
      let syncSeq = 0;
      const finish = () => {
        if (settled) return;
        settled = true;
        this.clearTimer(timer);
        this.syncs.delete(syncSeq);
        if (s.claim === claim) s.claim = null;
        resolve(!lost && !this.closed);
      };
      const windowOver = () => {
        syncSeq = ++this.syncSeq;
        this.syncs.set(syncSeq, finish);
        try {
          this.echo.postMessage({ t: "sync", from: this.realmId, seq: syncSeq } satisfies Message);
        } catch {
          finish();
        }
      };
      const claim: Claim = {
        ticket,
        lose: () => {
          lost = true;
          finish();
        },
      };
      s.claim = claim;
      const timer = this.setTimer(windowOver, windowMs);
      this.post({ t: "claim", name, from: this.realmId, at: ticket.at, id: ticket.id });
    });
  }

  /** Waits until a release is announced or the holder has been silent for leaseMs. */
  private pause(s: NameState): Promise<void> {
    return new Promise<void>((resume) => {
      let timer: ReturnType<typeof setTimeout> | null = null;
      const done = () => {
        if (timer !== null) this.clearTimer(timer);
        if (s.wake === done) s.wake = null;
        resume();
      };
      const check = () => {
        const silent = Date.now() - s.heardAt;
        if (silent >= this.leaseMs) done();
        else timer = this.setTimer(check, this.leaseMs - silent);
      };
      s.wake = done;
      check();
    });
  }

  private onMessage(msg: Message): void {
    if (this.closed || !msg || typeof msg !== "object") return;
    if (msg.t === "sync") {
      if (msg.from === this.realmId) this.syncs.get(msg.seq)?.();
      return;
    }
    if (msg.from === this.realmId) return;
    const now = Date.now();
    if (msg.t === "beat") {
      if (!Array.isArray(msg.names)) return;
      for (const name of msg.names) {
        const s = this.states.get(name);
        if (!s) continue;
        s.heardAt = now;
        s.claim?.lose(); // someone holds it
        // Someone holds what we hold: one of us missed the other's claim (frozen or blocked too long).
        if (s.owned) s.queue[0]?.onLost?.();
      }
      return;
    }
    const s = this.states.get(msg.name);
    if (msg.t === "claim") {
      if (s?.owned || (s?.claim && older(s.claim.ticket, { at: msg.at, id: msg.id }))) {
        this.post({ t: "held", name: msg.name, from: this.realmId, to: msg.id });
      } else if (s?.claim) {
        s.heardAt = now; // an older claimant: let it win, wait for its release or its silence
        s.claim.lose();
      }
    } else if (msg.t === "held") {
      // Addressed to one claim: an older claimant's answer to a younger one must not stop a third.
      if (!s?.claim || s.claim.ticket.id !== msg.to) return;
      s.heardAt = now;
      s.claim.lose();
    } else if (msg.t === "release") {
      if (!s) return;
      s.heardAt = 0;
      s.wake?.();
    }
  }

  private post(msg: Message): void {
    try {
      this.channel.postMessage(msg);
    } catch {
      /* a closed channel: nobody left to tell */
    }
  }

  private startHeartbeat(): void {
    if (this.heartbeat !== null) return;
    this.heartbeat = setInterval(() => {
      const names = this.heldNames();
      if (names.length > 0) this.post({ t: "beat", names, from: this.realmId });
    }, this.heartbeatMs);
    unref(this.heartbeat);
  }

  private stopHeartbeat(): void {
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  private setTimer(fn: () => void, ms: number): ReturnType<typeof setTimeout> {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
    return t;
  }

  private clearTimer(t: ReturnType<typeof setTimeout>): void {
    clearTimeout(t);
    this.timers.delete(t);
  }
}

/** Node keeps a process alive for an interval; a heartbeat must not. */
function unref(timer: unknown): void {
  (timer as { unref?: () => void }).unref?.();
}
