// HTTP outcome -> what the core should do with the batch. The core owns the
// retry schedule; this only classifies.
import type { FailOptions } from "../gradvy_core.mjs";

export type DeliveryOutcome =
  | { kind: "ack"; status: number }
  | { kind: "fail"; status: number; options: FailOptions; message: string };

/** Retry-After is either delta-seconds or an HTTP date; returns ms from now, or undefined. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : undefined;
}

/** 2xx ack; 413 split; 408/429/5xx retryable (with Retry-After); 401 retryable (token may refresh);
 *  any other 4xx is not retryable (the batch is parked as "rejected", never silently dropped). */
export function classifyStatus(status: number, retryAfter: string | null, nowMs: number, message = ""): DeliveryOutcome {
  if (status >= 200 && status < 300) return { kind: "ack", status };
  const retryAfterMs = parseRetryAfter(retryAfter, nowMs);
  const withAfter = (retryable: boolean): FailOptions =>
    retryAfterMs === undefined ? { retryable } : { retryable, retryAfterMs };
  if (status === 413) return { kind: "fail", status, options: { retryable: true, tooLarge: true }, message };
  if (status === 401 || status === 408 || status === 429 || status >= 500) {
    return { kind: "fail", status, options: withAfter(true), message };
  }
  return { kind: "fail", status, options: withAfter(false), message };
}

/** A request that never got an answer (offline, DNS, reset, CORS): retry with backoff. */
export function networkFailure(message: string): DeliveryOutcome {
  return { kind: "fail", status: 0, options: { retryable: true }, message };
}
