// The candidate set the server precomputed (GET /gradvy/v1/candidates): the
// catalog's metadata plus one embedding per item. The demo fetches it once and
// re-ranks it on the device.
import type { CandidateInput } from "@gradvy/personalize";
import { demoFetch } from "./network";

/** One item of GET /v1/candidates: the catalog fields plus what the server computed. */
export type CatalogItem = CandidateInput & {
  id: string;
  title: string;
  topics: string[];
  difficulty?: number;
  rating?: number;
  rating_count?: number;
  free?: boolean;
  content_type?: string;
  duration_min?: number;
  prerequisites?: string[];
  embedding: number[];
  embedding_source?: string;
};

export interface CandidateSet {
  version: string;
  dim: number;
  items: CatalogItem[];
}

export type TokenSource = (options: { forceRefresh: boolean }) => Promise<string>;

const NOT_READY_RETRIES = 20; // gradvy-sync answers 503 until its first candidate build is done

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function fetchCandidates(getToken: TokenSource): Promise<CandidateSet> {
  let forceRefresh = false;
  for (let attempt = 0; ; attempt++) {
    const token = await getToken({ forceRefresh });
    const res = await demoFetch("/gradvy/v1/candidates", {
      headers: { Authorization: `Bearer ${token}` },
      cache: "no-store",
    });
    if (res.ok) {
      const body = (await res.json()) as CandidateSet;
      if (!Array.isArray(body.items)) throw new Error("GET /gradvy/v1/candidates: the answer has no items");
      return body;
    }
    const text = await res.text();
    if (res.status === 401 && !forceRefresh) {
      forceRefresh = true;
      continue;
    }
    if ((res.status === 503 || res.status === 502) && attempt < NOT_READY_RETRIES) {
      await sleep(500 + attempt * 250);
      continue;
    }
    throw new Error(`GET /gradvy/v1/candidates: HTTP ${res.status} ${text.slice(0, 300)}`);
  }
}

/** The catalog's topics, most common first (ties by name): the goals a learner can pick. */
export function topicsOf(items: readonly CatalogItem[]): string[] {
  const counts = new Map<string, number>();
  for (const item of items) for (const t of item.topics ?? []) counts.set(t, (counts.get(t) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([t]) => t);
}
