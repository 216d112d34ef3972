// 24 vertical bars: the share of the learner's activity in each hour of the day.
// Exactly one <rect> per hour (tests count them); axes are lines and text.
import styles from "./charts.module.css";

export interface HourBarsProps {
  testId: string;
  /** 24 shares (0..1, summing to 1 when there is activity, all 0 otherwise). */
  shares: readonly number[];
  /** Hours to highlight (the fullest ones). */
  peakHours: readonly number[];
  /** e.g. "UTC" or "local time": the clock the hours are on. */
  clockName: string;
}

const WIDTH = 340;
const HEIGHT = 176;
const LEFT = 38;
const RIGHT = 4;
const TOP = 10;
const BOTTOM = 44;
const PLOT_W = WIDTH - LEFT - RIGHT;
const PLOT_H = HEIGHT - TOP - BOTTOM;
const SLOT = PLOT_W / 24;
const BAR_W = SLOT * 0.72;

/** The y-axis top: the next 5 % step above the fullest hour (at least 10 %). */
function axisMax(shares: readonly number[]): number {
  const top = Math.max(0, ...shares);
  return Math.max(0.1, Math.ceil(top * 20 - 1e-9) / 20);
}

function hourName(h: number): string {
  return `${String(h).padStart(2, "0")}:00`;
}

function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

export function HourBars({ testId, shares, peakHours, clockName }: HourBarsProps) {
  const hours = Array.from({ length: 24 }, (_, h) => Math.max(0, shares[h] ?? 0));
  const max = axisMax(hours);
  const active = hours.some((s) => s > 0);
  const peaks = new Set(peakHours);
  const label = active
    ? `Activity by hour of day (${clockName}), 24 bars. Peak ${peakHours
        .map((h) => `${hourName(h)} (${percent(hours[h] ?? 0)})`)
        .join(", ")}. Other active hours: ${hours
        .map((s, h) => (s > 0 && !peaks.has(h) ? `${hourName(h)} ${percent(s)}` : ""))
        .filter(Boolean)
        .join(", ") || "none"}.`
    : `Activity by hour of day (${clockName}), 24 bars: no activity yet.`;
  const baseY = TOP + PLOT_H;
  return (
    <svg
      data-testid={testId}
      role="img"
      aria-label={label}
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      className={styles.chart}
    >
      <title>{label}</title>
      {/* y axis: 0, half and max, with faint grid lines */}
      {[0, 0.5, 1].map((f) => {
        const y = baseY - f * PLOT_H;
        return (
          <g key={f}>
            <line x1={LEFT} x2={WIDTH - RIGHT} y1={y} y2={y} className={f === 0 ? styles.axisLine : styles.gridLine} />
            <text x={LEFT - 4} y={y + 4} textAnchor="end" className={styles.axisText}>
              {percent(max * f)}
            </text>
          </g>
        );
      })}
      {hours.map((share, h) => {
        const barH = (share / max) * PLOT_H;
        return (
          <rect
            key={h}
            data-hour={h}
            data-value={share.toFixed(4)}
            x={LEFT + h * SLOT + (SLOT - BAR_W) / 2}
            y={baseY - barH}
            width={BAR_W}
            height={barH}
            rx={1.5}
            className={peaks.has(h) ? styles.barPeak : styles.barHour}
          />
        );
      })}
      {Array.from({ length: 8 }, (_, i) => i * 3).map((h) => (
        <text key={h} x={LEFT + h * SLOT + SLOT / 2} y={baseY + 14} textAnchor="middle" className={styles.axisText}>
          {h}
        </text>
      ))}
      <text x={LEFT + PLOT_W / 2} y={HEIGHT - 8} textAnchor="middle" className={styles.axisTitle}>
        hour of day ({clockName})
      </text>
      <text
        x={10}
        y={TOP + PLOT_H / 2}
        textAnchor="middle"
        transform={`rotate(-90 10 ${TOP + PLOT_H / 2})`}
        className={styles.axisTitle}
      >
        share
      </text>
      {!active && (
        <text x={LEFT + PLOT_W / 2} y={TOP + PLOT_H / 2} textAnchor="middle" className={styles.emptyText}>
          no activity yet
        </text>
      )}
    </svg>
  );
}
