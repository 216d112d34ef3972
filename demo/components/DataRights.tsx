"use client";
// The learner's data rights: a copy of everything held (on this device and on
// the server) and erasure of both, with the server's receipt.
import { useState } from "react";
import { usePersonalizer } from "@gradvy/personalize/react";
import { useShell } from "./ShellContext";
import { errorText } from "../lib/format";

const EXPORT_FILE = "gradvy-export.json";

function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.rel = "noopener";
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function count(doc: Record<string, unknown> | null, key: string): number | null {
  const value = doc?.[key];
  return Array.isArray(value) ? value.length : null;
}

export function DataRights() {
  const p = usePersonalizer();
  const { forgetReceipt, startOver, learnerId } = useShell();
  const [busy, setBusy] = useState<"export" | "forget" | null>(null);
  const [note, setNote] = useState<{ ok: boolean; text: string } | null>(null);

  const exportData = async () => {
    if (!p) return;
    setBusy("export");
    setNote(null);
    try {
      const { device, server } = await p.exportData({ server: true });
      download(EXPORT_FILE, JSON.stringify({ device, server }, null, 2));
      const events = count(server, "events");
      setNote({
        ok: true,
        text: `Downloaded ${EXPORT_FILE}: this device’s state${events === null ? "" : ` and the server’s ${events} stored event${events === 1 ? "" : "s"}`}.`,
      });
    } catch (e) {
      setNote({ ok: false, text: `Export failed: ${errorText(e)}` });
    } finally {
      setBusy(null);
    }
  };

  const forgetMe = async () => {
    if (!p) return;
    setBusy("forget");
    setNote(null);
    try {
      const result = await p.forgetMe();
      await startOver(JSON.stringify({ device: result.device, server: result.server }, null, 2));
    } catch (e) {
      setNote({ ok: false, text: `Forget me failed: ${errorText(e)}. The device was wiped; try again to delete the server copy.` });
    } finally {
      setBusy(null);
    }
  };

  return (
    <section data-testid="data-rights" aria-labelledby="rights-heading">
      <h2 id="rights-heading">Your data</h2>
      <p className="hint">
        Export downloads everything held about you, on this device and on the server. Forget me wipes this device
        (queue, profile, consent, encryption key) and deletes you on the server.
      </p>
      <div className="button-row">
        <button type="button" data-testid="export-data" disabled={!p || busy !== null} onClick={() => void exportData()}>
          {busy === "export" ? "Exporting…" : "Export my data"}
        </button>
        <button type="button" data-testid="forget-me" className="danger" disabled={!p || busy !== null} onClick={() => void forgetMe()}>
          {busy === "forget" ? "Forgetting…" : "Forget me"}
        </button>
      </div>
      <p className={note?.ok === false ? "message-error" : "message"} role="status">
        {note?.text ?? ""}
      </p>
      {forgetReceipt && (
        <>
          <h3 className="subheading">Deletion receipt</h3>
          <p className="hint">You are now a new learner{learnerId ? ` (${learnerId})` : ""} with a fresh profile.</p>
          <pre data-testid="forget-receipt" className="receipt" tabIndex={0}>
            {forgetReceipt}
          </pre>
        </>
      )}
    </section>
  );
}
