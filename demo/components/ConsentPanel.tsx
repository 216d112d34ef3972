"use client";
// The learner's consent, as the core holds it: one switch per purpose, the
// Global Privacy Control signal, an IAB TCF string, local-only mode and the
// history of every decision. useConsent() re-renders on every change,
// including changes made in another tab.
import { useCallback, useEffect, useState } from "react";
import { useConsent, usePersonalizer } from "@gradvy/personalize/react";
import type { ConsentChange, ConsentChanges, ConsentView, PersonalizeError, Purpose } from "@gradvy/personalize";
import styles from "./ConsentPanel.module.css";

const PURPOSES: ReadonlyArray<{ purpose: Purpose; name: string; enables: string }> = [
  {
    purpose: "essential",
    name: "Essential",
    enables: "Keeps the module working: your consent choices and the on-device state. Always on.",
  },
  {
    purpose: "analytics",
    name: "Analytics",
    enables: "Uploads your learning events (views, progress, quizzes) to measure how courses perform.",
  },
  {
    purpose: "personalization",
    name: "Personalization",
    enables: "Builds your learner profile on this device to rank courses for you; uploads your thumbs up/down feedback.",
  },
  {
    purpose: "marketing",
    name: "Marketing",
    enables: "Promotions based on your learning. This demo sends none; GPC always turns it off.",
  },
  {
    purpose: "social_integration",
    name: "Social integration",
    enables: "Sharing and social plugins. Recorded for your app; unused in this demo.",
  },
  {
    purpose: "external_enrichment",
    name: "External enrichment",
    enables: "Sending data to third parties to enrich your profile. Recorded; unused in this demo.",
  },
];

const SOURCE_NAMES: Record<string, string> = {
  app: "app toggle",
  tcf: "TCF string",
  consent_mode: "Consent Mode",
  gpc: "GPC signal",
};

type Message = { ok: boolean; text: string };

function errorText(e: unknown): string {
  const err = e as Partial<PersonalizeError> | null;
  return err && typeof err.code === "string" ? `${err.code}: ${err.message ?? ""}` : String(e);
}

function listOr(purposes: readonly string[], none: string): string {
  return purposes.length > 0 ? purposes.join(", ") : none;
}

/** One sentence for what a consent call changed; `subject` names what was asked when nothing changed. */
function describeChange(change: ConsentChange, subject: string): string {
  const parts: string[] = [];
  if (change.granted.length > 0) parts.push(`granted ${change.granted.join(", ")}`);
  if (change.withdrawn.length > 0) parts.push(`withdrawn ${change.withdrawn.join(", ")}`);
  if (change.refused_by_gpc.length > 0) parts.push(`refused because GPC is on: ${change.refused_by_gpc.join(", ")}`);
  if (change.purged > 0) parts.push(`${change.purged} queued event${change.purged === 1 ? "" : "s"} purged`);
  const what = parts.length > 0 ? parts.join("; ") : `no change for ${subject}`;
  return `${what} (${change.records_added} history record${change.records_added === 1 ? "" : "s"} added).`;
}

// --- Example TC strings ------------------------------------------------------
// A developer evaluating the demo rarely has a CMP at hand, so the panel can fill
// in a valid TCF v2.2 core segment consenting to the given TCF purposes (no
// vendors, no restrictions). Field order and widths: docs/CONSENT.md.

const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

function exampleTcString(purposes: readonly number[], nowMs: number): string {
  let bits = "";
  const put = (value: number, width: number) => {
    bits += Math.floor(value).toString(2).padStart(width, "0").slice(-width);
  };
  const letters = (code: string) => {
    put(code.charCodeAt(0) - 65, 6);
    put(code.charCodeAt(1) - 65, 6);
  };
  const deciseconds = Math.floor(nowMs / 100);
  put(2, 6); // Version
  put(deciseconds, 36); // Created
  put(deciseconds, 36); // LastUpdated
  put(300, 12); // CmpId
  put(1, 12); // CmpVersion
  put(1, 6); // ConsentScreen
  letters("EN"); // ConsentLanguage
  put(100, 12); // VendorListVersion
  put(4, 6); // TcfPolicyVersion
  put(1, 1); // IsServiceSpecific
  put(0, 1); // UseNonStandardTexts
  put(0, 12); // SpecialFeatureOptIns
  for (let i = 1; i <= 24; i++) put(purposes.includes(i) ? 1 : 0, 1); // PurposesConsent
  put(0, 24); // PurposesLITransparency
  put(0, 1); // PurposeOneTreatment
  letters("DE"); // PublisherCC
  put(0, 16); // vendor consents: MaxVendorId 0
  put(0, 1); //   IsRangeEncoding
  put(0, 16); // vendor legitimate interests: MaxVendorId 0
  put(0, 1); //   IsRangeEncoding
  put(0, 12); // NumPubRestrictions
  while (bits.length % 6 !== 0) bits += "0";
  let out = "";
  for (let i = 0; i < bits.length; i += 6) out += B64URL[parseInt(bits.slice(i, i + 6), 2)];
  return out;
}

const TCF_EXAMPLES: ReadonlyArray<{ label: string; make: (nowMs: number) => string }> = [
  { label: "all 11 TCF purposes", make: (now) => exampleTcString([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], now) },
  { label: "only 1+5+6 (personalization)", make: (now) => exampleTcString([1, 5, 6], now) },
  { label: "a truncated string", make: (now) => exampleTcString([1, 8, 9], now).slice(0, 30) },
];

function timeText(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { hour12: false });
}

function GpcStatus({ consent, signal }: { consent: ConsentView; signal: boolean | null }) {
  let text: string;
  if (consent.gpc) {
    text =
      `On: your browser sends Global Privacy Control, so ${listOr(consent.gpc_blocked, "marketing")} ` +
      "stays withdrawn and any grant of it is refused.";
  } else if (signal === true) {
    text = "Your browser sends Global Privacy Control, but this app was configured not to act on it.";
  } else if (signal === false) {
    text = "Off: your browser says it does not ask for Global Privacy Control; nothing was withdrawn.";
  } else {
    text = "Off: this browser does not send the Global Privacy Control signal; nothing was withdrawn.";
  }
  return (
    <p data-testid="gpc-status" data-gpc={consent.gpc ? "on" : "off"} className={styles.gpc}>
      <strong>GPC</strong> ({signal === null ? "no signal" : `navigator.globalPrivacyControl = ${signal}`}). {text}
    </p>
  );
}

export function ConsentPanel() {
  const p = usePersonalizer();
  const { consent, setConsent } = useConsent();
  const [gpcSignal, setGpcSignal] = useState<boolean | null>(null);
  const [busy, setBusy] = useState<Purpose | null>(null);
  const [toggleMessage, setToggleMessage] = useState<Message | null>(null);
  const [tcfText, setTcfText] = useState("");
  const [tcfMessage, setTcfMessage] = useState<Message | null>(null);
  const [localOnly, setLocalOnlyState] = useState<boolean | null>(null);
  const [localMessage, setLocalMessage] = useState<string | null>(null);

  useEffect(() => {
    // Read in an effect: the server render has no navigator, and the first client render must match it.
    const value = (navigator as Navigator & { globalPrivacyControl?: unknown }).globalPrivacyControl;
    setGpcSignal(typeof value === "boolean" ? value : null);
  }, []);

  // The public API has no getter for local-only mode; the device export carries it.
  const readLocalOnly = useCallback(async () => {
    if (!p || p.isDestroyed) return;
    try {
      const { device } = await p.exportData({ server: false });
      setLocalOnlyState(device.local_only === true);
    } catch {
      /* destroyed meanwhile: nothing to show */
    }
  }, [p]);

  useEffect(() => {
    if (!p) return;
    void readLocalOnly();
    return p.on("consent", () => void readLocalOnly()); // forget-me resets it, and emits consent
  }, [p, readLocalOnly]);

  const toggle = async (purpose: Purpose, granted: boolean) => {
    setBusy(purpose);
    try {
      const change = await setConsent({ [purpose]: granted } as ConsentChanges);
      setToggleMessage({ ok: true, text: describeChange(change, purpose) });
    } catch (e) {
      setToggleMessage({ ok: false, text: errorText(e) });
    } finally {
      setBusy(null);
    }
  };

  const applyTcf = async () => {
    if (!p) return;
    try {
      const change = await p.applyTcfString(tcfText.trim());
      setTcfMessage({ ok: true, text: `Applied: ${describeChange(change, "the string")}` });
    } catch (e) {
      setTcfMessage({ ok: false, text: errorText(e) });
    }
  };

  const changeLocalOnly = async (on: boolean) => {
    if (!p) return;
    setLocalOnlyState(on); // a controlled checkbox: show the new state at once, undo it on failure
    try {
      const purged = await p.setLocalOnly(on);
      setLocalMessage(
        on
          ? `Local-only is on: ${purged} queued event${purged === 1 ? "" : "s"} deleted from the device.`
          : "Local-only is off: events are queued for upload again (with analytics consent).",
      );
    } catch (e) {
      setLocalOnlyState(!on);
      setLocalMessage(errorText(e));
    }
  };

  const history = consent ? [...consent.history].reverse() : [];

  return (
    <section data-testid="consent-panel" className={styles.panel} aria-labelledby="consent-heading">
      <h2 id="consent-heading" className={styles.heading}>
        Consent
      </h2>
      {!consent ? (
        <p className={styles.note}>Loading consent…</p>
      ) : (
        <>
          <p className={styles.note}>
            Nothing is kept or sent without the matching purpose. Policy version{" "}
            <code>{consent.policy_version}</code>.
          </p>
          <ul className={styles.purposes}>
            {PURPOSES.map(({ purpose, name, enables }) => {
              const granted = consent.granted.includes(purpose);
              const blocked = consent.gpc_blocked.includes(purpose);
              const id = `consent-${purpose}`;
              return (
                <li key={purpose} className={styles.purpose}>
                  <input
                    type="checkbox"
                    id={id}
                    data-testid={id}
                    checked={purpose === "essential" || granted}
                    disabled={purpose === "essential" || busy !== null}
                    onChange={(e) => void toggle(purpose, e.target.checked)}
                    aria-describedby={`${id}-what`}
                  />
                  <label htmlFor={id} className={styles.purposeName}>
                    {name}
                    {blocked && <span className={styles.badge}>blocked by GPC</span>}
                  </label>
                  <span id={`${id}-what`} className={styles.enables}>
                    {enables}
                  </span>
                </li>
              );
            })}
          </ul>
          <p
            className={toggleMessage?.ok === false ? styles.error : styles.result}
            role="status"
            data-testid="consent-result"
          >
            {toggleMessage?.text ?? ""}
          </p>

          <GpcStatus consent={consent} signal={gpcSignal} />

          <h3 className={styles.subheading}>IAB TCF v2.2 string</h3>
          <form
            className={styles.tcf}
            onSubmit={(e) => {
              e.preventDefault();
              void applyTcf();
            }}
          >
            <label htmlFor="tcf-input" className={styles.visuallyHidden}>
              TC string
            </label>
            <input
              id="tcf-input"
              data-testid="tcf-input"
              type="text"
              className={styles.tcfInput}
              value={tcfText}
              onChange={(e) => setTcfText(e.target.value)}
              placeholder="Paste a TC string from your CMP (CP…)"
              spellCheck={false}
              autoComplete="off"
            />
            <button type="submit" data-testid="tcf-apply" disabled={!p}>
              Apply
            </button>
          </form>
          <p className={styles.examples}>
            No CMP at hand? Fill in an example:{" "}
            {TCF_EXAMPLES.map(({ label, make }, i) => (
              <span key={label}>
                {i > 0 && " · "}
                <button type="button" className={styles.linkButton} onClick={() => setTcfText(make(Date.now()))}>
                  {label}
                </button>
              </span>
            ))}
          </p>
          <p
            className={tcfMessage?.ok === false ? styles.error : styles.result}
            role="status"
            data-testid="tcf-result"
            data-ok={tcfMessage ? String(tcfMessage.ok) : ""}
          >
            {tcfMessage?.text ?? ""}
          </p>
          <p className={styles.hint}>
            Maps TCF purposes to ours: analytics = 1+8+9, personalization = 1+5+6, marketing = 1+2+3+4. A malformed
            string changes nothing.
          </p>

          <h3 className={styles.subheading}>Local-only mode</h3>
          <label className={styles.switch}>
            <input
              type="checkbox"
              data-testid="local-only"
              checked={localOnly === true}
              disabled={localOnly === null}
              onChange={(e) => void changeLocalOnly(e.target.checked)}
            />
            <span>Keep raw events on this device</span>
          </label>
          <p className={styles.hint}>
            Your events never leave the device; the profile still learns here, and with analytics consent only
            noised counts (differential privacy) are uploaded. Turning it on deletes the queued events.
          </p>
          {localMessage && (
            <p className={styles.result} data-testid="local-only-result">
              {localMessage}
            </p>
          )}

          <h3 className={styles.subheading}>History (newest first)</h3>
          {history.length === 0 ? (
            <p className={styles.note}>No decision recorded yet: only essential is on (the default).</p>
          ) : null}
          <ol data-testid="consent-history" className={styles.history}>
            {history.map((r, i) => (
              <li
                key={`${history.length - i}`}
                data-testid="consent-history-row"
                data-purpose={r.purpose}
                data-granted={String(r.granted)}
                data-source={r.source}
                className={styles.historyRow}
              >
                <span className={r.granted ? styles.granted : styles.withdrawn}>
                  {r.granted ? "granted" : "withdrawn"}
                </span>{" "}
                <strong>{r.purpose}</strong>
                <span className={styles.meta}>
                  {timeText(r.at)} · {SOURCE_NAMES[r.source] ?? r.source} · policy {r.policy_version}
                </span>
              </li>
            ))}
          </ol>
          {consent.history_dropped > 0 && (
            <p className={styles.note}>
              {consent.history_dropped} older record{consent.history_dropped === 1 ? "" : "s"} kept on the server only.
            </p>
          )}
        </>
      )}
    </section>
  );
}
