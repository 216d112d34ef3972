// Cross-tab coordination. Web Locks when the browser has them (every current
// browser); otherwise an in-realm fallback (Node, SSR, old browsers) where only
// one JS realm is involved, plus a BroadcastChannel liveness ping that the
// personalizer uses to tell live tabs from orphaned records.

type Release = () => void;

interface LockManagerLike {
  request(name: string, options: { ifAvailable?: boolean; mode?: "exclusive" | "shared" }, cb: (lock: unknown) => Promise<unknown> | unknown): Promise<unknown>;
  request(name: string, cb: (lock: unknown) => Promise<unknown> | unknown): Promise<unknown>;
}

function webLocks(): LockManagerLike | null {
  const nav = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator;
  return nav && nav.locks && typeof nav.locks.request === "function" ? nav.locks : null;
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
  /** True when locks span tabs (Web Locks); false when they only span this JS realm. */
  get crossTab(): boolean {
    return webLocks() !== null;
  },

  /** Waits for `name` and holds it until the returned release() is called. */
  hold(name: string): Promise<Release> {
    const wl = webLocks();
    if (wl) {
      return new Promise<Release>((acquired) => {
        void wl.request(name, () => new Promise<void>((release) => acquired(() => release())));
      });
    }
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
  tryHold(name: string): Promise<Release | null> {
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
    if (held.has(name)) return Promise.resolve(null);
    held.add(name);
    return Promise.resolve(once(() => localRelease(name)));
  },

  /** Runs fn while holding `name` exclusively. */
  async exclusive<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const release = await locks.hold(name);
    try {
      return await fn();
    } finally {
      release();
    }
  },
};

function once(fn: () => void): Release {
  let done = false;
  return () => {
    if (!done) {
      done = true;
      fn();
    }
  };
}
