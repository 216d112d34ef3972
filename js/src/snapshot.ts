// What a tab persists, and how a new tab starts from a live peer's state.
import type { ConsentRecord } from "./gradvy_core.mjs";

/** The persisted record of one tab (sealed by the store). */
export interface TabRecord {
  v: 1;
  /** Engine.snapshot(): queue, consent, profile, ids. */
  snapshot: string;
  /** Consent records changed by the app on this device that the server has not stored yet. */
  consent_unsynced: ConsentRecord[];
}

export function encodeRecord(record: TabRecord): string {
  return JSON.stringify(record);
}

export function decodeRecord(text: string): TabRecord | null {
  try {
    const doc = JSON.parse(text) as Partial<TabRecord>;
    if (doc && doc.v === 1 && typeof doc.snapshot === "string") {
      return { v: 1, snapshot: doc.snapshot, consent_unsynced: Array.isArray(doc.consent_unsynced) ? doc.consent_unsynced : [] };
    }
  } catch {
    /* corrupt: treated as absent */
  }
  return null;
}

// Parts of a snapshot that belong to ONE engine instance and must never be
// shared between two live tabs: the queue (events would be sent twice), the
// random state (two tabs would mint the same event ids), the counters that
// describe that queue, and the local aggregates (counted twice).
const PER_INSTANCE = ["queue", "rng", "counters", "aggregates"] as const;

/**
 * A live peer's snapshot as the starting state of a new tab: the learner's
 * consent, profile, device and user ids come from the peer; everything
 * per-instance comes from `freshSnapshot` (a just-created engine's snapshot).
 */
export function sharedPart(peerSnapshot: string, freshSnapshot: string): string | null {
  try {
    const peer = JSON.parse(peerSnapshot) as Record<string, unknown>;
    const fresh = JSON.parse(freshSnapshot) as Record<string, unknown>;
    for (const key of PER_INSTANCE) peer[key] = fresh[key];
    return JSON.stringify(peer);
  } catch {
    return null;
  }
}
