"use client";
// Declared preferences: goals picked from the catalog's topics and an
// experience level. The learner typed them, so they stay on the device even
// without personalization consent, and they steer the fallback ranking too.
import { useCallback, useEffect, useMemo, useState } from "react";
import { usePersonalizer } from "@gradvy/personalize/react";
import { topicsOf, type CatalogItem } from "../lib/candidates";
import { errorText, topicLabel } from "../lib/format";

const LEVELS = [
  { value: "", label: "Not set" },
  { value: "beginner", label: "Beginner" },
  { value: "intermediate", label: "Intermediate" },
  { value: "advanced", label: "Advanced" },
] as const;

type Level = (typeof LEVELS)[number]["value"];

const TOP_TOPICS = 18; // the catalog has many topics; the rest are one click away

/** The profile reports the level as a number 1..3 (or null); the select shows the nearest name. */
function levelOf(value: unknown): Level {
  if (typeof value === "string") return (LEVELS.find((l) => l.value === value)?.value ?? "") as Level;
  if (typeof value !== "number" || !(value >= 1)) return "";
  return value < 1.5 ? "beginner" : value < 2.5 ? "intermediate" : "advanced";
}

export function Preferences({ items }: { items: readonly CatalogItem[] | null }) {
  const p = usePersonalizer();
  const topics = useMemo(() => (items ? topicsOf(items) : []), [items]);
  const [goals, setGoals] = useState<string[]>([]);
  const [level, setLevel] = useState<Level>("");
  const [note, setNote] = useState<{ ok: boolean; text: string } | null>(null);
  const [allTopics, setAllTopics] = useState(false);

  useEffect(() => {
    if (!p) return;
    const prefs = p.profile().preferences;
    setGoals(prefs.goals);
    setLevel(levelOf(prefs.experience_level));
  }, [p]);

  const save = useCallback(
    (nextGoals: string[], nextLevel: Level) => {
      if (!p) return;
      try {
        // setPreferences replaces the whole declared set: keep what this panel does not edit.
        const current = p.profile().preferences;
        p.setPreferences({ ...current, goals: nextGoals, experience_level: nextLevel || null });
        setGoals(nextGoals);
        setLevel(nextLevel);
        setNote({ ok: true, text: nextGoals.length ? `Goals: ${nextGoals.map(topicLabel).join(", ")}.` : "No goals set." });
      } catch (e) {
        setNote({ ok: false, text: errorText(e) });
      }
    },
    [p],
  );

  // Chosen goals stay visible even when they are not among the most common topics.
  const visible = allTopics ? topics : topics.filter((t, i) => i < TOP_TOPICS || goals.includes(t));

  const toggleGoal = (topic: string) =>
    save(goals.includes(topic) ? goals.filter((g) => g !== topic) : [...goals, topic], level);

  return (
    <section data-testid="preferences-panel" aria-labelledby="preferences-heading">
      <h2 id="preferences-heading">Preferences</h2>
      <p className="hint">
        What the learner tells you. Declared preferences stay on this device and shape the ranking even before
        there is any activity (and without personalization consent).
      </p>
      <h3 className="subheading" id="goals-heading">
        Goals
      </h3>
      {topics.length === 0 ? (
        <p className="muted">Loading the catalog’s topics…</p>
      ) : (
        <div className="chips" role="group" aria-labelledby="goals-heading">
          {visible.map((topic) => {
            const on = goals.includes(topic);
            return (
              <button
                key={topic}
                type="button"
                className="chip"
                data-testid={`goal-${topic}`}
                aria-pressed={on}
                disabled={!p}
                onClick={() => toggleGoal(topic)}
              >
                {on && (
                  <span aria-hidden="true" className="chip-check">
                    ✓
                  </span>
                )}
                {topicLabel(topic)}
              </button>
            );
          })}
          {topics.length > TOP_TOPICS && (
            <button type="button" className="chip chip-more" aria-expanded={allTopics} onClick={() => setAllTopics((v) => !v)}>
              {allTopics ? "Fewer topics" : `All ${topics.length} topics…`}
            </button>
          )}
        </div>
      )}
      <div className="field">
        <label htmlFor="pref-level">Experience level</label>
        <select
          id="pref-level"
          data-testid="pref-level"
          value={level}
          disabled={!p}
          onChange={(e) => save(goals, e.target.value as Level)}
        >
          {LEVELS.map((l) => (
            <option key={l.value} value={l.value}>
              {l.label}
            </option>
          ))}
        </select>
      </div>
      <p className={note?.ok === false ? "message-error" : "message"} role="status">
        {note?.text ?? ""}
      </p>
    </section>
  );
}
