"use client";
// The candidate set re-ranked on the device (useRerank re-ranks whenever the
// profile or consent changes), with the controls of RerankOptions, the reason
// for every item, and actions that emit real events. An item's move since the
// previous order is marked, so the effect of an action is visible.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { usePersonalizer, useRerank } from "@gradvy/personalize/react";
import type { RerankOptions, TrackOutcome } from "@gradvy/personalize";
import type { CatalogItem } from "../lib/candidates";
import { errorText } from "../lib/format";
import { factorLabel, scaleOf } from "./FactorBar";
import { RecommendationCard, type CourseAction, type FeedbackKind, type Move } from "./RecommendationCard";

const PAGE_SIZE = 12;
const MAX_SHOWN = 48;
// An impression counts once a list was on screen this long (the usual viewability rule), so
// dragging the diversity slider does not log every intermediate list.
const IMPRESSION_DELAY_MS = 1000;
const PROGRESS_SECONDS = 15 * 60; // one study session
const QUIZ_SECONDS = 5 * 60;

const ACTION_TEXT: Record<CourseAction, string> = {
  view: "Viewed",
  enroll: "Enrolled in",
  progress: "Studied 15 min of",
  complete: "Completed",
};

const FEEDBACK_TEXT: Record<FeedbackKind, string> = {
  thumbs_up: "Thumbs up for",
  thumbs_down: "Thumbs down for",
  dismissed: "Dismissed",
};

/** Where a tracked event went, in words. */
function outcomeText(o: Pick<TrackOutcome, "queued" | "profiled"> & { aggregated?: boolean }): string {
  const parts: string[] = [];
  if (o.profiled) parts.push("learned on this device");
  if (o.queued) parts.push("queued for upload");
  if (o.aggregated) parts.push("counted locally (local-only)");
  if (parts.length === 0) return "not kept: no consent for it";
  return parts.join(", ");
}

export function Recommendations({ items }: { items: readonly CatalogItem[] | null }) {
  const p = usePersonalizer();
  const [diversity, setDiversity] = useState(0.6);
  const [freeOnly, setFreeOnly] = useState(false);
  const [considerRatings, setConsiderRatings] = useState(true);
  const [limit, setLimit] = useState(PAGE_SIZE);
  const [notice, setNotice] = useState<{ ok: boolean; text: string } | null>(null);
  const [moves, setMoves] = useState<Map<string, Move>>(new Map());

  const options = useMemo<RerankOptions>(
    () => ({ limit, diversity, consider_ratings: considerRatings, free_only: freeOnly }),
    [limit, diversity, considerRatings, freeOnly],
  );
  const { ranking, error, loading } = useRerank(items, options);
  const shown = ranking?.items ?? [];
  const scale = useMemo(() => scaleOf(shown.map((i) => i.factors)), [shown]);
  const legend = useMemo(() => {
    const names = new Set<string>();
    for (const item of shown) for (const f of item.factors) if (f.value !== 0) names.add(f.name);
    return [...names];
  }, [shown]);

  // Moves are computed only when the order changes (a re-rank with the same order keeps the marks).
  const previousOrder = useRef<{ key: string; positions: Map<string, number> } | null>(null);
  useEffect(() => {
    if (!ranking) return;
    const ids = ranking.items.map((i) => i.id);
    const key = ids.join("\n");
    const before = previousOrder.current;
    if (before?.key === key) return;
    const positions = new Map(ids.map((id, i) => [id, i]));
    if (before) {
      const next = new Map<string, Move>();
      for (const [id, i] of positions) {
        const was = before.positions.get(id);
        next.set(id, was === undefined ? "new" : was - i);
      }
      setMoves(next);
    }
    previousOrder.current = { key, positions };
  }, [ranking]);

  // recommendation_impression for the ids on screen (1..100 of them), once per distinct set.
  const impressed = useRef("");
  useEffect(() => {
    if (!p || !ranking || ranking.items.length === 0) return;
    const ids = ranking.items.slice(0, 100).map((i) => i.id);
    const key = [...ids].sort().join(",");
    if (key === impressed.current) return;
    const timer = setTimeout(() => {
      if (p.isDestroyed) return;
      impressed.current = key;
      try {
        p.track("recommendation_impression", { item_ids: ids, algorithm_version: ranking.algorithm_version });
      } catch (e) {
        setNotice({ ok: false, text: `Impression not tracked: ${errorText(e)}` });
      }
    }, IMPRESSION_DELAY_MS);
    return () => clearTimeout(timer);
  }, [p, ranking]);

  const onAction = useCallback(
    (item: CatalogItem, action: CourseAction) => {
      if (!p) return;
      const props: Record<string, unknown> = { course_id: item.id, action };
      if (action === "progress") props.duration = PROGRESS_SECONDS;
      try {
        const outcome = p.track("course_interaction", props);
        setNotice({ ok: true, text: `${ACTION_TEXT[action]} “${item.title}”: ${outcomeText(outcome)}.` });
      } catch (e) {
        setNotice({ ok: false, text: errorText(e) });
      }
    },
    [p],
  );

  const onQuiz = useCallback(
    (item: CatalogItem, score: number, total: number) => {
      if (!p) return;
      if (!Number.isInteger(score) || score < 0 || score > total) {
        setNotice({ ok: false, text: `A quiz score is a whole number from 0 to ${total}.` });
        return;
      }
      try {
        const outcome = p.track("quiz_attempt", { course_id: item.id, score, total_questions: total, time_taken: QUIZ_SECONDS });
        setNotice({ ok: true, text: `Quiz on “${item.title}”: ${score}/${total}: ${outcomeText(outcome)}.` });
      } catch (e) {
        setNotice({ ok: false, text: errorText(e) });
      }
    },
    [p],
  );

  const onFeedback = useCallback(
    (item: CatalogItem, kind: FeedbackKind) => {
      if (!p) return;
      try {
        const outcome = p.feedback(item.id, kind);
        setNotice({ ok: true, text: `${FEEDBACK_TEXT[kind]} “${item.title}”: the ranking changed at once; ${outcomeText(outcome)}.` });
      } catch (e) {
        setNotice({ ok: false, text: errorText(e) });
      }
    },
    [p],
  );

  const personalized = ranking?.source === "personalized";

  return (
    <section data-testid="recommendations" aria-labelledby="recommendations-heading">
      <div className="section-head">
        <h2 id="recommendations-heading">Recommended for you</h2>
        {ranking && (
          <p
            data-testid="rec-source"
            data-source={ranking.source}
            className={personalized ? "source source-personalized" : "source source-fallback"}
          >
            {personalized ? (
              <>
                <strong>Personalized</strong> — ranked on this device from your activity and goals.
              </>
            ) : (
              <>
                <strong>Not personalized</strong> — {ranking.reason ?? "fallback"}. Showing popular and trending items,
                matched to your goals if you set any.
              </>
            )}
          </p>
        )}
      </div>

      <fieldset className="controls">
        <legend className="visually-hidden">Ranking options</legend>
        <label className="control control-range">
          <span>
            Diversity <output>{diversity.toFixed(1)}</output>
          </span>
          <input
            type="range"
            data-testid="ctl-diversity"
            min={0}
            max={1}
            step={0.1}
            value={diversity}
            onChange={(e) => setDiversity(Number(e.target.value))}
          />
        </label>
        <label className="control">
          <input type="checkbox" data-testid="ctl-free-only" checked={freeOnly} onChange={(e) => setFreeOnly(e.target.checked)} />
          <span>Free only</span>
        </label>
        <label className="control">
          <input
            type="checkbox"
            data-testid="ctl-ratings"
            checked={considerRatings}
            onChange={(e) => setConsiderRatings(e.target.checked)}
          />
          <span>Consider ratings</span>
        </label>
      </fieldset>

      <p className={notice?.ok === false ? "message-error" : "message"} role="status" aria-live="polite">
        {notice?.text ?? ""}
      </p>

      {error && (
        <p className="message-error" role="alert">
          Ranking failed: {error.code}: {error.message}
        </p>
      )}
      {!ranking && !error && <p className="muted">{loading || !items ? "Loading recommendations…" : "No candidates."}</p>}
      {ranking && shown.length === 0 && <p className="muted">Nothing left to recommend with these options.</p>}

      {legend.length > 0 && (
        <ul className="factor-legend" aria-label="What the bar colours mean">
          {legend.map((name) => (
            <li key={name}>
              <span className="factor-dot" style={{ ["--seg-color" as string]: `var(--f-${name}, var(--f-other))` }} aria-hidden="true" />
              {factorLabel(name)}
            </li>
          ))}
          {scale.negative > 0 && (
            <li>
              <span className="factor-dot seg-negative" aria-hidden="true" />
              negative (left of the line)
            </li>
          )}
        </ul>
      )}

      <ol className="rec-list">
        {shown.map((item, i) => (
          <RecommendationCard
            key={item.id}
            item={item}
            rank={i + 1}
            move={moves.get(item.id)}
            scale={scale}
            disabled={!p}
            onAction={onAction}
            onQuiz={onQuiz}
            onFeedback={onFeedback}
          />
        ))}
      </ol>
      {ranking && shown.length >= limit && limit < MAX_SHOWN && (
        <button type="button" className="more" onClick={() => setLimit((l) => Math.min(MAX_SHOWN, l + PAGE_SIZE))}>
          Show more
        </button>
      )}
      {ranking && (
        <p className="hint">
          Algorithm <code>{ranking.algorithm_version}</code> · {items?.length ?? 0} candidates re-ranked in your browser. The order is
          the score diversified (MMR), so a lower score can sit above a higher one; completed and dismissed items are left out.
        </p>
      )}
    </section>
  );
}
