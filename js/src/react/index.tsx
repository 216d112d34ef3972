"use client";
// React bindings. A client module: the personalizer is created in an effect,
// so server rendering (and React Server Components importing the provider)
// never touch a browser API; until it is ready the hooks return null/loading.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { createPersonalizer, type Personalizer } from "../personalizer.js";
import { PersonalizeError } from "../errors.js";
import type { ConsentChange, ConsentChanges, ConsentView, RerankOptions } from "../gradvy_core.mjs";
import type { CandidateInput, PackedCandidates, PersonalizerOptions, RerankResult } from "../types.js";

interface ProviderState {
  personalizer: Personalizer | null;
  error: PersonalizeError | null;
}

const PersonalizerContext = createContext<ProviderState | null>(null);

export interface PersonalizerProviderProps {
  /** Read once, when the provider mounts (changing them later does not recreate the personalizer). */
  options?: PersonalizerOptions;
  children?: ReactNode;
}

/** Creates one personalizer for the subtree (client only) and destroys it on unmount. */
export function PersonalizerProvider({ options, children }: PersonalizerProviderProps) {
  const [state, setState] = useState<ProviderState>({ personalizer: null, error: null });
  const optionsRef = useRef(options);
  useEffect(() => {
    let alive = true;
    let created: Personalizer | null = null;
    createPersonalizer(optionsRef.current ?? {}).then(
      (p) => {
        created = p;
        if (alive) setState({ personalizer: p, error: null });
        else void p.destroy();
      },
      (e: unknown) => {
        if (alive) setState({ personalizer: null, error: e instanceof PersonalizeError ? e : new PersonalizeError("internal", String(e)) });
      },
    );
    return () => {
      alive = false;
      if (created) void created.destroy();
    };
  }, []);
  return <PersonalizerContext.Provider value={state}>{children}</PersonalizerContext.Provider>;
}

function useProviderState(): ProviderState {
  const state = useContext(PersonalizerContext);
  if (!state) throw new PersonalizeError("invalid_state", "usePersonalizer: wrap the tree in <PersonalizerProvider>");
  return state;
}

/** The personalizer, or null while it loads (and on the server). */
export function usePersonalizer(): Personalizer | null {
  return useProviderState().personalizer;
}

/** The error that stopped the personalizer from starting, if any. */
export function usePersonalizerError(): PersonalizeError | null {
  return useProviderState().error;
}

/** A counter that moves whenever the personalizer reports `type`. */
function useEventVersion(p: Personalizer | null, types: Array<"profile" | "consent">): number {
  const [version, setVersion] = useState(0);
  const key = types.join(",");
  useEffect(() => {
    if (!p) return;
    const bump = () => setVersion((v) => v + 1);
    const offs = key.split(",").map((t) => p.on(t as "profile" | "consent", bump));
    return () => offs.forEach((off) => off());
  }, [p, key]);
  return version;
}

export interface RerankState<C> {
  ranking: RerankResult<C> | null;
  error: PersonalizeError | null;
  loading: boolean;
}

/**
 * Re-ranks `candidates` and again whenever the profile or consent changes. Pass a stable array
 * (state or useMemo): the same array is not re-packed or re-copied into wasm on each render.
 */
export function useRerank<C extends CandidateInput>(
  candidates: readonly C[] | PackedCandidates | null | undefined,
  options?: RerankOptions,
): RerankState<C> {
  const p = usePersonalizer();
  const version = useEventVersion(p, ["profile", "consent"]);
  const optionsKey = JSON.stringify(options ?? {});
  return useMemo<RerankState<C>>(() => {
    if (!p || !candidates) return { ranking: null, error: null, loading: !p };
    if (Array.isArray(candidates) && candidates.length === 0) return { ranking: null, error: null, loading: false };
    try {
      return { ranking: p.rerank(candidates as readonly C[], JSON.parse(optionsKey) as RerankOptions), error: null, loading: false };
    } catch (e) {
      return { ranking: null, error: e instanceof PersonalizeError ? e : new PersonalizeError("internal", String(e)), loading: false };
    }
  }, [p, candidates, optionsKey, version]);
}

export interface ConsentState {
  /** null while the personalizer loads. */
  consent: ConsentView | null;
  setConsent: (changes: ConsentChanges) => Promise<ConsentChange>;
  ready: boolean;
}

/** The current consent, re-rendered on every change (this tab or another). */
export function useConsent(): ConsentState {
  const p = usePersonalizer();
  const version = useEventVersion(p, ["consent"]);
  const consent = useMemo(() => (p && !p.isDestroyed ? p.getConsent() : null), [p, version]);
  const setConsent = useCallback(
    (changes: ConsentChanges) => {
      if (!p) return Promise.reject(new PersonalizeError("invalid_state", "setConsent: the personalizer is still loading"));
      return p.setConsent(changes);
    },
    [p],
  );
  return { consent, setConsent, ready: p !== null };
}

export type { Personalizer, PersonalizerOptions };
