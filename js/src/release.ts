// A lock's release function, shared by the Web Locks, BroadcastChannel and
// in-realm paths of lock.ts without loading the BroadcastChannel code.
export type Release = () => void;

/** fn wrapped so that only the first call runs it (a release may be called twice). */
export function once(fn: () => void): Release {
  let done = false;
  return () => {
    if (!done) {
      done = true;
      fn();
    }
  };
}
