"use client";
// Why an item scored what it did: one stacked bar per item whose segments are
// the ranking factors (they sum to the score). Positive factors grow right of
// the zero line, negative ones (e.g. near a thumbs-down) grow left of it, hatched.
// All bars share one scale so items can be compared at a glance. Each segment
// is focusable and shows its detail; the same text is in the list below.
import type { RankingFactor } from "@gradvy/personalize";
import { signed } from "../lib/format";

export const FACTOR_LABELS: Record<string, string> = {
  goal_match: "Goal match",
  interest: "Interest",
  recent_interest: "Recent interest",
  difficulty: "Difficulty fit",
  rating: "Rating",
  popularity: "Popularity",
  progression: "Progression",
  content_type: "Content type",
  freshness: "Freshness",
  time_fit: "Time fit",
  feedback: "Feedback",
};

export function factorLabel(name: string): string {
  return FACTOR_LABELS[name] ?? name.replace(/_/g, " ");
}

export interface BarScale {
  /** Largest sum of positive factors among the items shown. */
  positive: number;
  /** Largest sum of negative factors (as a positive number) among the items shown. */
  negative: number;
}

export function scaleOf(factorLists: ReadonlyArray<readonly RankingFactor[]>): BarScale {
  let positive = 0;
  let negative = 0;
  for (const factors of factorLists) {
    let pos = 0;
    let neg = 0;
    for (const f of factors) {
      if (f.value > 0) pos += f.value;
      else neg -= f.value;
    }
    positive = Math.max(positive, pos);
    negative = Math.max(negative, neg);
  }
  return { positive, negative };
}

function describe(f: RankingFactor): string {
  return `${factorLabel(f.name)} ${signed(f.value)}${f.detail ? `: ${f.detail}` : ""}`;
}

function Segment({ factor, share }: { factor: RankingFactor; share: number }) {
  const negative = factor.value < 0;
  return (
    <span
      data-testid="rec-factor"
      data-factor={factor.name}
      data-value={String(factor.value)}
      className={negative ? "seg seg-negative" : "seg"}
      style={{ width: `${(share * 100).toFixed(3)}%`, ["--seg-color" as string]: `var(--f-${factor.name}, var(--f-other))` }}
      tabIndex={0}
      role="img"
      aria-label={describe(factor)}
    >
      <span className="seg-tip" aria-hidden="true">
        <strong>{factorLabel(factor.name)}</strong> {signed(factor.value)}
        {factor.detail ? ` — ${factor.detail}` : ""}
      </span>
    </span>
  );
}

export function FactorBar({ factors, scale, reason }: { factors: readonly RankingFactor[]; scale: BarScale; reason?: string }) {
  const shown = factors.filter((f) => f.value !== 0);
  const positives = shown.filter((f) => f.value > 0);
  const negatives = shown.filter((f) => f.value < 0);
  const total = scale.positive + scale.negative || 1;
  const negativeShare = scale.negative / total;
  return (
    <div className="factor-bar">
      <div className="bar-track">
        {scale.negative > 0 && (
          <div className="bar-side bar-negative" style={{ width: `${(negativeShare * 100).toFixed(3)}%` }}>
            {negatives.map((f) => (
              <Segment key={f.name} factor={f} share={-f.value / scale.negative} />
            ))}
          </div>
        )}
        <div className="bar-side bar-positive" style={{ width: `${((1 - negativeShare) * 100).toFixed(3)}%` }}>
          {positives.map((f) => (
            <Segment key={f.name} factor={f} share={scale.positive > 0 ? f.value / scale.positive : 0} />
          ))}
        </div>
      </div>
      {reason && <p className="rec-why">Top reason: {reason}</p>}
      <details className="factor-details">
        <summary>All factors</summary>
        <ul className="factor-list">
          {shown.map((f) => (
            <li key={f.name}>
              <span className="factor-dot" style={{ ["--seg-color" as string]: `var(--f-${f.name}, var(--f-other))` }} aria-hidden="true" />
              <span className="factor-name">{factorLabel(f.name)}</span>
              <span className={f.value < 0 ? "factor-value negative" : "factor-value"}>{signed(f.value)}</span>
              {f.detail && <span className="factor-detail">{f.detail}</span>}
            </li>
          ))}
        </ul>
      </details>
    </div>
  );
}
