// Small display helpers shared by the demo's panels.

export function errorText(e: unknown): string {
  const err = e as { code?: unknown; message?: unknown } | null;
  if (err && typeof err.code === "string") return `${err.code}: ${String(err.message ?? "")}`;
  return e instanceof Error ? e.message : String(e);
}

const WORD_SPELLING: Record<string, string> = {
  ai: "AI",
  api: "API",
  css: "CSS",
  devops: "DevOps",
  html: "HTML",
  http: "HTTP",
  javascript: "JavaScript",
  ml: "ML",
  sql: "SQL",
  typescript: "TypeScript",
  ux: "UX",
};

/** "machine-learning" -> "Machine learning", "ux-design" -> "UX design". */
export function topicLabel(topic: string): string {
  const words = topic.split(/[-_\s]+/).filter(Boolean).map((w) => WORD_SPELLING[w.toLowerCase()] ?? w);
  const text = words.join(" ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function difficultyLabel(difficulty: number | undefined): string | null {
  if (typeof difficulty !== "number" || !(difficulty > 0)) return null;
  return difficulty < 1.5 ? "Beginner" : difficulty < 2.5 ? "Intermediate" : "Advanced";
}

/** Minutes as "45 min", "5 h", "2 h 30 min". */
export function durationLabel(minutes: number | undefined): string | null {
  if (typeof minutes !== "number" || !(minutes > 0)) return null;
  const m = Math.round(minutes);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  const rest = m % 60;
  return rest ? `${h} h ${rest} min` : `${h} h`;
}

const COUNT = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });

export function countLabel(n: number): string {
  return COUNT.format(n);
}

/** A factor or score value with its sign: "+0.210", "−0.050". */
export function signed(value: number): string {
  const text = Math.abs(value).toFixed(3);
  return value < 0 ? `−${text}` : `+${text}`;
}
