// A half-circle gauge for a score in 0..1. The arc length is the value, so it reads
// at a glance; the number is printed in the middle for anyone who wants it exactly.
import styles from "./charts.module.css";

export type GaugeTone = "accent" | "good" | "warn" | "bad" | "muted";

export interface GaugeProps {
  testId: string;
  /** Short name shown under the number, e.g. "Engagement". */
  title: string;
  /** 0..1; anything outside is clamped, null draws an empty gauge. */
  value: number | null;
  tone: GaugeTone;
  /** One word that says what the value means, e.g. "low risk". */
  verdict: string;
}

const CX = 100;
const CY = 100;
const R = 80;

function pointAt(fraction: number): { x: number; y: number } {
  const angle = Math.PI * (1 - fraction); // 0 → left end, 1 → right end
  return { x: CX + R * Math.cos(angle), y: CY - R * Math.sin(angle) };
}

function arcPath(fraction: number): string {
  const start = pointAt(0);
  const end = pointAt(fraction);
  return `M ${start.x.toFixed(2)} ${start.y.toFixed(2)} A ${R} ${R} 0 0 1 ${end.x.toFixed(2)} ${end.y.toFixed(2)}`;
}

export function Gauge({ testId, title, value, tone, verdict }: GaugeProps) {
  const clamped = value === null || !Number.isFinite(value) ? null : Math.min(1, Math.max(0, value));
  const label =
    clamped === null
      ? `${title}: no data yet`
      : `${title}: ${clamped.toFixed(2)} on a scale from 0 to 1 (${verdict})`;
  return (
    <figure className={styles.gaugeFigure}>
      <svg
        data-testid={testId}
        data-value={clamped === null ? "" : clamped.toFixed(3)}
        role="img"
        aria-label={label}
        viewBox="0 0 200 128"
        className={styles.gauge}
      >
        <title>{label}</title>
        <path d={arcPath(1)} className={styles.gaugeTrack} />
        {clamped !== null && clamped > 0.001 && (
          <path d={arcPath(clamped)} className={`${styles.gaugeValue} ${styles[`tone_${tone}`]}`} />
        )}
        <text x={CX} y={CY - 12} textAnchor="middle" className={styles.gaugeNumber}>
          {clamped === null ? "–" : clamped.toFixed(2)}
        </text>
        <text x={CX} y={CY + 12} textAnchor="middle" className={styles.gaugeVerdict}>
          {clamped === null ? "no data" : verdict}
        </text>
        <text x={CX - R} y={CY + 20} textAnchor="middle" className={styles.axisText}>
          0
        </text>
        <text x={CX + R} y={CY + 20} textAnchor="middle" className={styles.axisText}>
          1
        </text>
      </svg>
      <figcaption className={styles.caption}>{title}</figcaption>
    </figure>
  );
}
