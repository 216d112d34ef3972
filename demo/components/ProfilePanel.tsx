"use client";
// What the device has learned about the learner, drawn as charts: topic
// affinities, activity by hour, engagement and dropout risk, plus the core's
// insights as sentences. Everything here is computed on the device.
import { useEffect, useState } from "react";
import { useConsent, usePersonalizer } from "@gradvy/personalize/react";
import type { Insights, ProfileView } from "@gradvy/personalize";
import { Gauge, type GaugeTone } from "./charts/Gauge";
import { HorizontalBars, type BarDatum } from "./charts/HorizontalBars";
import { HourBars } from "./charts/HourBars";
import styles from "./ProfilePanel.module.css";

/** The clock the profile"s hours are on (the core"s profile.tz_offset_minutes, UTC by default). */
const CLOCK_NAME = "local time"; // DemoShell passes the browser's UTC offset to the profile
const TOP_TOPICS = 8;

interface ProfileData {
  topics: BarDatum[];
  hours: number[];
  peakHours: number[];
  engagement: number;
  dropoutRisk: number;
  cold: boolean;
  sentences: string[];
}

function num(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function field(v: unknown, key: string): unknown {
  return v !== null && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined;
}

/** "a", "a and b", "a, b and c" */
function joinWords(words: string[]): string {
  if (words.length <= 1) return words.join("");
  return `${words.slice(0, -1).join(", ")} and ${words[words.length - 1]}`;
}

function hourName(h: number): string {
  return `${String(h).padStart(2, "0")}:00`;
}

function round(v: number, digits: number): string {
  return Number(v.toFixed(digits)).toString();
}

function insightSentences(ins: Insights): string[] {
  const out: string[] = [];
  const interests = list(ins.top_interests)
    .map((t) => field(t, "topic"))
    .filter((t): t is string => typeof t === "string");
  if (interests.length > 0) out.push(`Your strongest interests: ${joinWords(interests)}.`);

  const completion = num(ins.completion_rate);
  out.push(
    completion === null
      ? "No course started yet, so there is no completion rate."
      : `You finished ${Math.round(completion * 100)} % of the courses you started.`,
  );

  const times = ins.preferred_times;
  const label = field(times, "label");
  const peaks = list(field(times, "peak_hours")).filter((h): h is number => typeof h === "number");
  if (typeof label === "string" && label !== "unknown" && peaks.length > 0) {
    out.push(`You learn mostly in the ${label} (busiest: ${joinWords(peaks.map(hourName))} ${CLOCK_NAME}).`);
  }

  const velocity = num(ins.learning_velocity);
  if (velocity !== null) {
    out.push(`Learning velocity: ${round(velocity, 2)} courses completed per week (last 4 weeks).`);
  }

  const types = list(ins.preferred_content_types)
    .map((t) => field(t, "content_type"))
    .filter((t): t is string => typeof t === "string");
  if (types.length > 0) out.push(`Preferred formats: ${joinWords(types)}.`);

  const level = ins.level_label;
  if (typeof level === "string" && level !== "unknown") out.push(`Estimated level: ${level}.`);

  const sessions = num(field(ins.sessions, "count_28d"));
  const minutes = num(field(ins.sessions, "avg_minutes"));
  const days = num(ins.active_days_28);
  if (sessions !== null && sessions > 0) {
    out.push(
      `${sessions} session${sessions === 1 ? "" : "s"} in the last 28 days` +
        (minutes === null ? "" : minutes < 1 ? ", under a minute on average" : `, ${round(minutes, 1)} min on average`) +
        (days !== null ? `, active on ${days} day${days === 1 ? "" : "s"}.` : "."),
    );
  }
  return out;
}

function readProfile(profile: ProfileView, ins: Insights): ProfileData {
  const topics = list(profile.topic_affinities)
    .map((t) => ({ label: String(field(t, "topic") ?? ""), value: num(field(t, "affinity")) ?? 0 }))
    .filter((t) => t.label !== "")
    .slice(0, TOP_TOPICS);
  const histogram = list(ins.hour_histogram);
  const hours = Array.from({ length: 24 }, (_, h) => num(histogram[h]) ?? 0);
  const peakHours = list(ins.peak_hours).filter((h): h is number => typeof h === "number");
  const activity = num(profile.activity_records) ?? 0;
  const items = list(profile.items).length;
  return {
    topics,
    hours,
    peakHours,
    engagement: num(ins.engagement) ?? 0,
    dropoutRisk: num(ins.dropout_risk) ?? 0,
    cold: activity === 0 && items === 0 && topics.length === 0,
    sentences: insightSentences(ins),
  };
}

function engagementVerdict(v: number): string {
  return v < 0.34 ? "low" : v < 0.67 ? "moderate" : "high";
}

function dropoutLevel(v: number): { verdict: string; tone: GaugeTone } {
  if (v < 0.34) return { verdict: "low risk", tone: "good" };
  if (v < 0.67) return { verdict: "medium risk", tone: "warn" };
  return { verdict: "high risk", tone: "bad" };
}

export function ProfilePanel() {
  const p = usePersonalizer();
  const { consent } = useConsent();
  const [data, setData] = useState<ProfileData | null>(null);

  useEffect(() => {
    if (!p) return;
    const refresh = () => {
      if (p.isDestroyed) return;
      setData(readProfile(p.profile(), p.insights()));
    };
    refresh();
    // A withdrawal of personalization erases learned signals: consent changes matter too.
    const offs = [p.on("profile", refresh), p.on("consent", refresh)];
    return () => offs.forEach((off) => off());
  }, [p]);

  const personalizing = consent?.granted.includes("personalization") ?? false;
  const dropout = dropoutLevel(data?.dropoutRisk ?? 0);

  return (
    <section data-testid="profile-panel" className={styles.panel} aria-labelledby="profile-heading">
      <h2 id="profile-heading" className={styles.heading}>
        Learner profile <span className={styles.where}>on this device</span>
      </h2>
      {!data ? (
        <p className={styles.note}>Loading the on-device profile…</p>
      ) : (
        <>
          {data.cold ? (
            <p className={styles.empty} data-testid="profile-empty" data-reason={personalizing ? "cold" : "no-consent"}>
              {personalizing
                ? "Nothing learned yet. View, enroll in, progress through or complete a course and the charts fill in."
                : "Nothing learned: personalization is off. Grant it in the consent panel, then view, enroll in or complete a course, and the charts fill in."}
            </p>
          ) : (
            !personalizing && (
              <p className={styles.notice} data-testid="profile-consent-note">
                Personalization is off: nothing new is learned on this device.
              </p>
            )
          )}
          <div className={styles.charts} data-cold={data.cold ? "true" : "false"}>
            <figure className={styles.wide}>
              <figcaption className={styles.chartTitle}>Topic affinities (top {TOP_TOPICS}, strongest = 1)</figcaption>
              <HorizontalBars
                testId="chart-topics"
                title="Topic affinities"
                data={data.topics}
                emptyText="no topics learned yet"
              />
            </figure>
            <figure className={styles.wide}>
              <figcaption className={styles.chartTitle}>Peak activity hours (darker bars: the busiest hours)</figcaption>
              <HourBars testId="chart-hours" shares={data.hours} peakHours={data.peakHours} clockName={CLOCK_NAME} />
            </figure>
            <div className={styles.gauges}>
              <Gauge
                testId="chart-engagement"
                title="Engagement"
                value={data.cold ? null : data.engagement}
                tone="accent"
                verdict={engagementVerdict(data.engagement)}
              />
              <Gauge
                testId="chart-dropout"
                title="Dropout risk"
                value={data.cold ? null : data.dropoutRisk}
                tone={dropout.tone}
                verdict={dropout.verdict}
              />
            </div>
          </div>
          <h3 className={styles.subheading}>Insights</h3>
          <ul data-testid="insights" className={styles.insights}>
            {data.cold ? (
              <li>No insights yet: they appear after your first learning activity.</li>
            ) : (
              data.sentences.map((s) => <li key={s}>{s}</li>)
            )}
          </ul>
        </>
      )}
    </section>
  );
}
