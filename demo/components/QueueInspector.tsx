"use client";
// The delivery queue as the core counts it: where every accepted event is
// (queued, in flight, waiting for a retry, parked, sent) and what was dropped
// and why, plus the last batch that went over the wire and an offline switch.
import { useCallback, useEffect, useMemo, useState } from "react";
import { usePersonalizer } from "@gradvy/personalize/react";
import type { FlushEvent, PersonalizeError, Stats } from "@gradvy/personalize";
import {
  isSimulatedOffline,
  lastBatch,
  setSimulatedOffline,
  subscribeNetwork,
  type BatchRecord,
} from "../lib/network";
import styles from "./QueueInspector.module.css";

type DropReason = keyof Stats["dropped"];

const DROP_REASONS: ReadonlyArray<{ reason: DropReason; text: string }> = [
  { reason: "no_consent", text: "no consent (never stored)" },
  { reason: "consent_withdrawn", text: "consent withdrawn (purged)" },
  { reason: "local_only", text: "local-only mode turned on" },
  { reason: "overflow", text: "queue full" },
  { reason: "too_large", text: "too large" },
  { reason: "invalid", text: "invalid (refused)" },
  { reason: "forgotten", text: "forgotten" },
];

const REFRESH_MS = 500;

function droppedTotal(stats: Stats): number {
  return DROP_REASONS.reduce((sum, { reason }) => sum + (stats.dropped[reason] ?? 0), 0);
}

function errorText(e: unknown): string {
  const err = e as Partial<PersonalizeError> | null;
  return err && typeof err.code === "string" ? `${err.code}: ${err.message ?? ""}` : String(e);
}

function clockTime(ms: number): string {
  return new Date(ms).toLocaleTimeString(undefined, { hour12: false });
}

interface BatchView {
  /** The exact JSON text that was POSTed, pretty-printed. */
  json: string;
  summary: string;
}

function viewBatch(batch: BatchRecord): BatchView {
  let json = batch.body;
  let events: number | null = null;
  try {
    const parsed = JSON.parse(batch.body) as { events?: unknown[] };
    json = JSON.stringify(parsed, null, 2);
    if (Array.isArray(parsed.events)) events = parsed.events.length;
  } catch {
    /* not JSON: show it as sent */
  }
  const what = events === null ? "Last batch" : `Last batch (${events} event${events === 1 ? "" : "s"})`;
  const outcome =
    batch.status === 0
      ? `no answer${batch.error ? ` (${batch.error})` : ""}`
      : `HTTP ${batch.status}${batch.status >= 200 && batch.status < 300 ? " accepted" : ""}`;
  return { json, summary: `${what} at ${clockTime(batch.at)}: ${outcome}` };
}

function sameStats(a: Stats | null, b: Stats): boolean {
  return a !== null && JSON.stringify(a) === JSON.stringify(b);
}

/** One counter: its value is the element's whole text (digits only), zeros greyed out. */
function Row({ label, testId, value }: { label: string; testId: string; value: number }) {
  return (
    <div className={styles.row} data-zero={value === 0 ? "true" : "false"}>
      <dt>{label}</dt>
      <dd data-testid={testId}>{value}</dd>
    </div>
  );
}

export function QueueInspector() {
  const p = usePersonalizer();
  const [stats, setStats] = useState<Stats | null>(null);
  const [batch, setBatch] = useState<BatchRecord | null>(null);
  const [offline, setOffline] = useState(false);
  const [lastFlush, setLastFlush] = useState<FlushEvent | null>(null);
  const [lastError, setLastError] = useState<string | null>(null);
  const [flushMessage, setFlushMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [flushing, setFlushing] = useState(false);

  useEffect(() => {
    if (!p) return;
    const refresh = () => {
      if (p.isDestroyed) return;
      const next = p.stats();
      setStats((prev) => (sameStats(prev, next) ? prev : next));
    };
    refresh();
    const offs = [
      p.on("flush", (e) => {
        setLastFlush(e);
        if (e.outcome === "acked") setLastError(null); // delivered again: the last failure is history
        refresh();
      }),
      p.on("drop", refresh),
      p.on("consent", refresh),
      p.on("profile", refresh),
      p.on("error", (e) => setLastError(errorText(e))),
    ];
    const timer = setInterval(refresh, REFRESH_MS);
    return () => {
      clearInterval(timer);
      offs.forEach((off) => off());
    };
  }, [p]);

  useEffect(() => {
    const read = () => {
      setBatch(lastBatch());
      setOffline(isSimulatedOffline());
    };
    read();
    return subscribeNetwork(read);
  }, []);

  const flushNow = useCallback(async () => {
    if (!p) return;
    setFlushing(true);
    setFlushMessage(null);
    try {
      const r = await p.flush();
      setFlushMessage({ ok: true, text: `Flushed: ${r.sent} sent, ${r.held} still held.` });
    } catch (e) {
      setFlushMessage({ ok: false, text: `Flush failed: ${errorText(e)}` });
    } finally {
      setFlushing(false);
    }
  }, [p]);

  const batchView = useMemo(() => (batch ? viewBatch(batch) : null), [batch]);
  const retryWaiting = stats?.retry_waiting ?? 0;
  const parked = stats?.parked ?? 0;
  const retries = stats?.retries ?? 0;

  return (
    <section data-testid="queue-inspector" className={styles.panel} aria-labelledby="queue-heading">
      <h2 id="queue-heading" className={styles.heading}>
        Queue inspector
      </h2>
      {!stats ? (
        <p className={styles.note}>Loading the queue…</p>
      ) : (
        <>
          <dl className={styles.counters}>
            <div className={styles.counter}>
              <dt>Queued</dt>
              <dd data-testid="q-queued">{stats.queued}</dd>
            </div>
            <div className={styles.counter}>
              <dt>In flight</dt>
              <dd data-testid="q-in-flight">{stats.in_flight}</dd>
            </div>
            <div className={styles.counter}>
              <dt>Sent</dt>
              <dd data-testid="q-sent">{stats.sent}</dd>
            </div>
            <div className={styles.counter}>
              <dt>Dropped</dt>
              <dd data-testid="q-dropped">{droppedTotal(stats)}</dd>
            </div>
          </dl>

          <div className={styles.columns}>
            <div>
              <h3 className={styles.subheading}>Dropped, by reason</h3>
              <dl className={styles.rows}>
                {DROP_REASONS.map(({ reason, text }) => (
                  <Row key={reason} label={text} testId={`q-dropped-${reason}`} value={stats.dropped[reason] ?? 0} />
                ))}
              </dl>
            </div>
            <div>
              <h3 className={styles.subheading}>Retries</h3>
              <dl
                className={styles.rows}
                data-testid="q-retry"
                data-retry-waiting={retryWaiting}
                data-parked={parked}
                data-retries={retries}
              >
                <Row label="events waiting for a retry" testId="q-retry-waiting" value={retryWaiting} />
                <Row label="events parked (kept, not sent)" testId="q-parked" value={parked} />
                <Row label="retries scheduled so far" testId="q-retries" value={retries} />
              </dl>
              <h3 className={styles.subheading}>Also</h3>
              <dl className={styles.rows}>
                <Row label="tracked" testId="q-tracked" value={stats.tracked} />
                <Row label="updated the on-device profile" testId="q-profiled" value={stats.profiled} />
                <Row label="counted locally (local-only)" testId="q-aggregated" value={stats.aggregated} />
                <Row label="batches sent" testId="q-batches-sent" value={stats.batches_sent} />
                <Row label="bytes held" testId="q-bytes" value={stats.queue_bytes} />
                <Row label="PII values redacted" testId="q-pii" value={stats.pii_redactions} />
              </dl>
            </div>
          </div>

          <div className={styles.controls}>
            <label className={styles.switch}>
              <input
                type="checkbox"
                data-testid="sim-offline"
                checked={offline}
                onChange={(e) => setSimulatedOffline(e.target.checked)}
              />
              <span>Simulate offline</span>
            </label>
            <button type="button" data-testid="flush-now" onClick={() => void flushNow()} disabled={flushing}>
              {flushing ? "Flushing…" : "Flush now"}
            </button>
          </div>
          <p className={styles.hint}>
            {offline
              ? "Offline: every send fails, so batches wait for a retry with exponential backoff and nothing is lost. Switch back and they go at their retry time."
              : "Events are sent in batches (50 events or 10 s). “Flush now” sends what is queued at once, but never before a retry time the backoff set."}
          </p>
          <p className={flushMessage?.ok === false ? styles.error : styles.status} role="status" data-testid="flush-result">
            {flushMessage?.text ?? ""}
          </p>
          {lastFlush && (
            <p className={styles.status} data-testid="q-last-delivery" data-outcome={lastFlush.outcome}>
              Last delivery: {lastFlush.events} event{lastFlush.events === 1 ? "" : "s"}, attempt {lastFlush.attempt},{" "}
              {lastFlush.status === 0 ? "no answer" : `HTTP ${lastFlush.status}`} → {lastFlush.outcome.replace(/_/g, " ")}
            </p>
          )}
          {lastError && (
            <p className={styles.error} data-testid="q-last-error">
              Last error: {lastError}
            </p>
          )}

          <h3 className={styles.subheading}>Last batch</h3>
          <p className={styles.status} data-testid="q-last-status" data-status={batch ? batch.status : ""}>
            {batchView ? batchView.summary : "No batch sent yet."}
          </p>
          <pre data-testid="q-last-batch" className={styles.batch} tabIndex={0} aria-label="Last batch JSON">
            {batchView ? batchView.json : ""}
          </pre>
        </>
      )}
    </section>
  );
}
