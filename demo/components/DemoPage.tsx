"use client";
// The panels around one personalizer. Stacked in reading order on a phone; on
// a desktop the controls and the inspectors sit in a side column next to the
// recommendations (the .col wrappers become display: contents below 1024 px,
// so `order` puts every panel where it belongs).
import { useEffect, useRef, type ReactNode } from "react";
import { usePersonalizer, usePersonalizerError } from "@gradvy/personalize/react";
import { useShell } from "./ShellContext";
import { PageFrame } from "./PageFrame";
import { ConsentPanel } from "./ConsentPanel";
import { Preferences } from "./Preferences";
import { Recommendations } from "./Recommendations";
import { QueueInspector } from "./QueueInspector";
import { ProfilePanel } from "./ProfilePanel";
import { DataRights } from "./DataRights";

function storageText(kind: "indexeddb" | "memory"): string {
  return kind === "indexeddb" ? "ready · state in IndexedDB, encrypted" : "ready · state in memory only";
}

export function DemoPage({ footer }: { footer?: ReactNode }) {
  const p = usePersonalizer();
  const personalizerError = usePersonalizerError();
  const { learnerId, catalog, startError } = useShell();

  // One page_view per personalizer (this page has one URL; the package fills in ctx.page_url).
  const viewed = useRef<object | null>(null);
  useEffect(() => {
    if (!p || viewed.current === p) return;
    viewed.current = p;
    p.track("page_view");
  }, [p]);

  const ready = p !== null && catalog !== null;
  const error = personalizerError ? `The personalizer could not start: ${personalizerError.code}: ${personalizerError.message}` : startError;
  const status = error ? "stopped" : p ? (catalog ? storageText(p.storageKind) : "loading candidates…") : "loading the wasm module…";

  return (
    <PageFrame ready={ready} learnerId={learnerId} status={status} error={error} footer={footer}>
      <div className="layout">
        <div className="col col-side">
          <div className="card slot-consent">
            <ConsentPanel />
          </div>
          <div className="card slot-preferences">
            <Preferences items={catalog?.items ?? null} />
          </div>
          <div className="card slot-queue">
            <QueueInspector />
          </div>
          <div className="card slot-profile">
            <ProfilePanel />
          </div>
          <div className="card slot-rights">
            <DataRights />
          </div>
        </div>
        <div className="col col-main">
          <div className="card slot-recommendations">
            <Recommendations items={catalog?.items ?? null} />
          </div>
        </div>
      </div>
    </PageFrame>
  );
}
