// Horizontal bars for labelled values in 0..1 (topic affinities, relative to the
// strongest topic). Drawn in a fixed viewBox and scaled by CSS, so it fits 375 px.
import styles from "./charts.module.css";

export interface BarDatum {
  label: string;
  /** 0..1 */
  value: number;
}

export interface HorizontalBarsProps {
  testId: string;
  /** Names the chart in its accessible label, e.g. "Topic affinities". */
  title: string;
  data: readonly BarDatum[];
  /** Shown inside the chart when data is empty. */
  emptyText: string;
}

const WIDTH = 320;
const LABEL_W = 112;
const VALUE_W = 36;
const ROW_H = 26;
const BAR_H = 16;
const MAX_LABEL_CHARS = 17;

function shorten(label: string): string {
  return label.length > MAX_LABEL_CHARS ? `${label.slice(0, MAX_LABEL_CHARS - 1)}…` : label;
}

export function HorizontalBars({ testId, title, data, emptyText }: HorizontalBarsProps) {
  const barSpace = WIDTH - LABEL_W - VALUE_W;
  const height = Math.max(1, data.length) * ROW_H + 6;
  const label =
    data.length === 0
      ? `${title}: ${emptyText}`
      : `${title}: ${data.map((d) => `${d.label} ${d.value.toFixed(2)}`).join(", ")}`;
  return (
    <svg
      data-testid={testId}
      data-count={data.length}
      role="img"
      aria-label={label}
      viewBox={`0 0 ${WIDTH} ${height}`}
      className={styles.chart}
    >
      <title>{label}</title>
      {data.length === 0 && (
        <text x={WIDTH / 2} y={height / 2 + 4} textAnchor="middle" className={styles.emptyText}>
          {emptyText}
        </text>
      )}
      {data.map((d, i) => {
        const value = Math.min(1, Math.max(0, d.value));
        const y = 3 + i * ROW_H;
        return (
          <g key={d.label}>
            <text x={LABEL_W - 6} y={y + BAR_H / 2 + 4} textAnchor="end" className={styles.labelText}>
              {shorten(d.label)}
            </text>
            <rect x={LABEL_W} y={y} width={barSpace} height={BAR_H} rx={3} className={styles.barTrack} />
            <rect
              x={LABEL_W}
              y={y}
              width={Math.max(value * barSpace, value > 0 ? 2 : 0)}
              height={BAR_H}
              rx={3}
              className={styles.bar}
            />
            <text x={WIDTH - 2} y={y + BAR_H / 2 + 4} textAnchor="end" className={styles.valueText}>
              {value.toFixed(2)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
