"use client";
// One ranked item: what it is, its score and why, and the actions a learner
// takes on it (each one a real event through the package).
import { useId, useState } from "react";
import type { RankedCandidate } from "@gradvy/personalize";
import type { CatalogItem } from "../lib/candidates";
import { countLabel, difficultyLabel, durationLabel, topicLabel } from "../lib/format";
import { FactorBar, type BarScale } from "./FactorBar";
import { DismissIcon, ThumbDownIcon, ThumbUpIcon } from "./Icons";

export type CourseAction = "view" | "enroll" | "progress" | "complete";
export type FeedbackKind = "thumbs_up" | "thumbs_down" | "dismissed";

/** How far the item moved since the previous ranking: positive = up, "new" = was not shown. */
export type Move = number | "new";

const QUIZ_QUESTIONS = 10;

export interface RecommendationCardProps {
  item: RankedCandidate<CatalogItem>;
  rank: number;
  move: Move | undefined;
  scale: BarScale;
  disabled: boolean;
  onAction: (item: CatalogItem, action: CourseAction) => void;
  onQuiz: (item: CatalogItem, score: number, total: number) => void;
  onFeedback: (item: CatalogItem, kind: FeedbackKind) => void;
}

function MoveBadge({ move }: { move: Move | undefined }) {
  if (move === undefined || move === 0) return null;
  if (move === "new") return <span className="move move-new">new</span>;
  return (
    <span className={move > 0 ? "move move-up" : "move move-down"} aria-label={`moved ${move > 0 ? "up" : "down"} ${Math.abs(move)}`}>
      {move > 0 ? "▲" : "▼"}
      {Math.abs(move)}
    </span>
  );
}

function titleOf(c: CatalogItem): string {
  return typeof c.title === "string" && c.title ? c.title : c.id;
}

export function RecommendationCard({ item, rank, move, scale, disabled, onAction, onQuiz, onFeedback }: RecommendationCardProps) {
  const c = item.candidate;
  const title = titleOf(c);
  const quizId = useId();
  const [quizScore, setQuizScore] = useState("7");
  const facts = [
    difficultyLabel(c.difficulty),
    c.content_type ? topicLabel(c.content_type) : null,
    durationLabel(c.duration_min ?? (c.duration_minutes as number | undefined)),
  ].filter((x): x is string => x !== null);

  return (
    <li data-testid="rec-item" data-item-id={c.id} className="rec">
      <div className="rec-head">
        <div className="rec-rank">
          <span className="rank-number">{rank}</span>
          <MoveBadge move={move} />
        </div>
        <div className="rec-titles">
          <h3 data-testid="rec-title" className="rec-title">
            {title}
          </h3>
          <p className="rec-meta">
            <span className={c.free ? "badge badge-free" : "badge badge-paid"}>{c.free ? "Free" : "Paid"}</span>
            {typeof c.rating === "number" && (
              <span className="rating" title={`${c.rating} out of 5`}>
                <span aria-hidden="true">★</span> {c.rating.toFixed(1)}
                {typeof c.rating_count === "number" && <span className="muted"> ({countLabel(c.rating_count)})</span>}
              </span>
            )}
            {facts.map((f) => (
              <span key={f}>{f}</span>
            ))}
          </p>
          {c.topics?.length > 0 && (
            <ul className="rec-topics" aria-label="Topics">
              {c.topics.map((t) => (
                <li key={t}>{topicLabel(t)}</li>
              ))}
            </ul>
          )}
        </div>
        <div className="rec-score">
          <span className="score-label">score</span>
          <span data-testid="rec-score" className="score-value">
            {item.score.toFixed(3)}
          </span>
        </div>
      </div>

      <FactorBar factors={item.factors} scale={scale} reason={item.reason || undefined} />

      <div className="rec-actions">
        <div className="action-group learning" role="group" aria-label={`Learning actions for ${title}`}>
          <button type="button" data-testid="act-view" disabled={disabled} onClick={() => onAction(c, "view")}>
            View
          </button>
          <button type="button" data-testid="act-enroll" disabled={disabled} onClick={() => onAction(c, "enroll")}>
            Enroll
          </button>
          <button type="button" data-testid="act-progress" disabled={disabled} onClick={() => onAction(c, "progress")}>
            Progress
          </button>
          <button type="button" data-testid="act-complete" disabled={disabled} onClick={() => onAction(c, "complete")}>
            Complete
          </button>
        </div>
        <form
          className="action-group quiz"
          onSubmit={(e) => {
            e.preventDefault();
            onQuiz(c, Number(quizScore), QUIZ_QUESTIONS);
          }}
        >
          <label htmlFor={quizId}>Quiz</label>
          <input
            id={quizId}
            data-testid="quiz-score"
            type="number"
            inputMode="numeric"
            min={0}
            max={QUIZ_QUESTIONS}
            step={1}
            value={quizScore}
            onChange={(e) => setQuizScore(e.target.value)}
          />
          <span className="muted">/ {QUIZ_QUESTIONS}</span>
          <button type="submit" data-testid="act-quiz" disabled={disabled}>
            Submit
          </button>
        </form>
        <div className="action-group feedback" role="group" aria-label={`Feedback on ${title}`}>
          <button type="button" data-testid="fb-up" className="icon-button" disabled={disabled} aria-label="More like this" title="More like this" onClick={() => onFeedback(c, "thumbs_up")}>
            <ThumbUpIcon />
          </button>
          <button type="button" data-testid="fb-down" className="icon-button" disabled={disabled} aria-label="Less like this" title="Less like this" onClick={() => onFeedback(c, "thumbs_down")}>
            <ThumbDownIcon />
          </button>
          <button type="button" data-testid="fb-dismiss" className="icon-button" disabled={disabled} aria-label="Dismiss" title="Dismiss: never show again" onClick={() => onFeedback(c, "dismissed")}>
            <DismissIcon />
          </button>
        </div>
      </div>
    </li>
  );
}
