// Cross-tab coordination: exclusive named locks. Web Locks when the browser
// has them (every current browser); in a browser without them, a lease over
// BroadcastChannel (channel-lock.ts); otherwise (Node, SSR) an in-realm lock,
// since only one JS realm is involved.
import { ChannelLocks, once, type LockStrictness, type Release } from "./channel-lock.js";

export type { LockStrictness };

interface LockManagerLike {
  request(name: string, options: { ifAvailable?: boolean; mode?: "exclusive" | "shared" }, cb: (lock: unknown) => Promise<unknown> | unknown): Promise<unknown>;
  request(name: string, cb: (lock: unknown) => Promise<unknown> | unknown): Promise<unknown>;
}

function webLocks(): LockManagerLike | null {
  const nav = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator;
  return nav && nav.locks && typeof nav.locks.request === "function" ? nav.locks : null;
}

let channelLocks: ChannelLocks | null = null;

/** The BroadcastChannel locks of this realm, created on first use; null outside a browser. */
function broadcastLocks(): ChannelLocks | null {
  if (channelLocks) return channelLocks;
  const g = globalThis as { window?: unknown; document?: unknown };
  if (!g.window || !g.document || typeof BroadcastChannel === "undefined") return null;
  channelLocks = new ChannelLocks();
  return channelLocks;
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
    return broadcastLocks() ? "broadcast-channel" : "realm";
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
    if (bc) return bc.hold(name, strictness, onLost);
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
    if (bc) return bc.tryHold(name, strictness, onLost);
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

