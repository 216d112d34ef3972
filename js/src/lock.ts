// Cross-tab coordination: exclusive named locks. Web Locks when the browser
// has them (every current browser); in a browser without them, a lease over
// BroadcastChannel (channel-lock.ts, imported only then: a page in a current
// browser never loads it); otherwise (Node, SSR) an in-realm lock, since only
// one JS realm is involved.
import type { ChannelLocks, LockStrictness } from "./channel-lock.js";
import { once, type Release } from "./release.js";

export type { LockStrictness };

interface LockManagerLike {
  request(name: string, options: { ifAvailable?: boolean; mode?: "exclusive" | "shared" }, cb: (lock: unknown) => Promise<unknown> | unknown): Promise<unknown>;
  request(name: string, cb: (lock: unknown) => Promise<unknown> | unknown): Promise<unknown>;
}

function webLocks(): LockManagerLike | null {
  const nav = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator;
  return nav && nav.locks && typeof nav.locks.request === "function" ? nav.locks : null;
}

function canBroadcast(): boolean {
  const g = globalThis as { window?: unknown; document?: unknown };
  return Boolean(g.window && g.document && typeof BroadcastChannel !== "undefined");
}

let channelLocks: Promise<ChannelLocks> | null = null;

/** The BroadcastChannel locks of this realm, loaded and created on first use; null outside a
 *  browser. A failed load (the chunk could not be fetched) rejects this call and is retried by the next. */
function broadcastLocks(): Promise<ChannelLocks> | null {
  if (channelLocks) return channelLocks;
  if (!canBroadcast()) return null;
  const loading = import("./channel-lock.js").then((m) => new m.ChannelLocks());
  loading.catch(() => {
    if (channelLocks === loading) channelLocks = null;
  });
  channelLocks = loading;
  return loading;
}

// In-realm fallback: a held set and a FIFO of waiters per name.
const held = new Set<string>();
const waiters = new Map<string, Array<() => void>>();

function localRelease(name: string): void {
  const queue = waiters.get(name);
  const next = queue?.shift();
  if (next) next();
  else held.delete(name);
}

export const locks = {
  /** Which mechanism spans the tabs: Web Locks, the BroadcastChannel lease, or this JS realm only. */
  get kind(): "web-locks" | "broadcast-channel" | "realm" {
    if (webLocks()) return "web-locks";
    return canBroadcast() ? "broadcast-channel" : "realm";
  },

  /** Waits for `name` and holds it until the returned release() is called. `strictness` and `onLost`
   *  matter only without Web Locks: "polite" = a wrong takeover would only break turn-taking (a shorter
   *  claim); onLost runs if another tab turns out to hold the name too (this tab was frozen meanwhile). */
  hold(name: string, strictness: LockStrictness = "strict", onLost?: () => void): Promise<Release> {
    const wl = webLocks();
    if (wl) {
      return new Promise<Release>((acquired) => {
        void wl.request(name, () => new Promise<void>((release) => acquired(() => release())));
      });
    }
    const bc = broadcastLocks();
    if (bc) return bc.then((l) => l.hold(name, strictness, onLost));
    return new Promise<Release>((acquired) => {
      const grant = () => acquired(once(() => localRelease(name)));
      if (!held.has(name)) {
        held.add(name);
        grant();
      } else {
        const queue = waiters.get(name) ?? [];
        queue.push(grant);
        waiters.set(name, queue);
      }
    });
  },

  /** Takes `name` only if nobody holds it; null otherwise. */
  tryHold(name: string, strictness: LockStrictness = "strict", onLost?: () => void): Promise<Release | null> {
    const wl = webLocks();
    if (wl) {
      return new Promise<Release | null>((result) => {
        void wl.request(name, { ifAvailable: true }, (lock) => {
          if (!lock) {
            result(null);
            return undefined;
          }
          return new Promise<void>((release) => result(() => release()));
        });
      });
    }
    const bc = broadcastLocks();
    if (bc) return bc.then((l) => l.tryHold(name, strictness, onLost));
    if (held.has(name)) return Promise.resolve(null);
    held.add(name);
    return Promise.resolve(once(() => localRelease(name)));
  },

  /** Runs fn while holding `name` exclusively. */
  async exclusive<T>(name: string, fn: () => Promise<T>, strictness: LockStrictness = "strict"): Promise<T> {
    const release = await locks.hold(name, strictness);
    try {
      return await fn();
    } finally {
      release();
    }
  },
};

