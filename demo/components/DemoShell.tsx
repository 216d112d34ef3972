"use client";
// The client root: gets the learner's token from the app's own backend
// (/api/token), fetches the candidates, then creates the personalizer the way
// a real app does. After forget-me it starts over with a new learner and a new
// personalizer (the provider is keyed by the session).
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { PersonalizerProvider } from "@gradvy/personalize/react";
import type { PersonalizerOptions } from "@gradvy/personalize";
import { demoFetch } from "../lib/network";
import { fetchCandidates, type CandidateSet } from "../lib/candidates";
import { ShellContext, type ShellState } from "./ShellContext";
import { DemoPage } from "./DemoPage";
import { PageFrame } from "./PageFrame";

interface TokenInfo {
  token: string;
  userId: string;
  expiresAt: number; // Unix ms
}

const REFRESH_BEFORE_EXPIRY_MS = 60_000;

async function requestToken(): Promise<TokenInfo> {
  const res = await fetch("/api/token", { cache: "no-store" });
  if (!res.ok) throw new Error(`GET /api/token: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`);
  return (await res.json()) as TokenInfo;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function DemoShell({ children }: { children?: ReactNode }) {
  const tokenRef = useRef<TokenInfo | null>(null);
  const [session, setSession] = useState<{ learnerId: string; generation: number } | null>(null);
  const [catalog, setCatalog] = useState<CandidateSet | null>(null);
  const [startError, setStartError] = useState<string | null>(null);
  const [forgetReceipt, setForgetReceipt] = useState<string | null>(null);

  const loadToken = useCallback(async () => {
    const info = await requestToken();
    tokenRef.current = info;
    return info;
  }, []);

  // Kept in memory only (never in storage); a fresh one shortly before expiry or when the server refused it.
  const getToken = useCallback(
    async ({ forceRefresh }: { forceRefresh: boolean }) => {
      const current = tokenRef.current;
      if (!forceRefresh && current && current.expiresAt - Date.now() > REFRESH_BEFORE_EXPIRY_MS) return current.token;
      return (await loadToken()).token;
    },
    [loadToken],
  );

  useEffect(() => {
    let alive = true;
    loadToken()
      .then((info) => {
        if (!alive) return null;
        setSession((s) => s ?? { learnerId: info.userId, generation: 0 });
        return fetchCandidates(getToken);
      })
      .then((set) => {
        if (alive && set) setCatalog(set);
      })
      .catch((e: unknown) => {
        if (alive) setStartError(message(e));
      });
    return () => {
      alive = false;
    };
  }, [loadToken, getToken]);

  const startOver = useCallback(
    async (receipt: string) => {
      try {
        await fetch("/api/token", { method: "DELETE", cache: "no-store" });
        tokenRef.current = null;
        const info = await loadToken();
        setSession((s) => ({ learnerId: info.userId, generation: (s?.generation ?? 0) + 1 }));
      } finally {
        setForgetReceipt(receipt); // same render as the new session: the receipt never shows next to the old learner
      }
    },
    [loadToken],
  );

  const options = useMemo<PersonalizerOptions | null>(
    () =>
      session
        ? {
            endpoint: "/gradvy",
            getToken,
            userId: session.learnerId,
            fetch: demoFetch as typeof fetch,
            // Peak hours and "preferred times" in the learner's own clock.
            config: { profile: { tz_offset_minutes: -new Date().getTimezoneOffset() } },
          }
        : null,
    [session, getToken],
  );

  const shell = useMemo<ShellState>(
    () => ({ learnerId: session?.learnerId ?? null, getToken, catalog, startError, forgetReceipt, startOver }),
    [session, getToken, catalog, startError, forgetReceipt, startOver],
  );

  return (
    <ShellContext.Provider value={shell}>
      {session && options ? (
        <PersonalizerProvider key={session.generation} options={options}>
          <DemoPage footer={children} />
        </PersonalizerProvider>
      ) : (
        <PageFrame ready={false} learnerId={null} status={startError ? "stopped" : "getting a token…"} error={startError} footer={children}>
          <div className="card loading-card" aria-busy="true">
            Starting the personalizer…
          </div>
        </PageFrame>
      )}
    </ShellContext.Provider>
  );
}
