"use client";
// What the page shell knows outside the personalizer: the learner (from
// /api/token), the candidate set, and the forget-me receipt, which has to
// outlive the personalizer it came from.
import { createContext, useContext } from "react";
import type { CandidateSet, TokenSource } from "../lib/candidates";

export interface ShellState {
  learnerId: string | null;
  getToken: TokenSource;
  catalog: CandidateSet | null;
  /** Why the page could not start (token or candidates), if it could not. */
  startError: string | null;
  /** The receipt of the last forget-me, as shown to the learner. */
  forgetReceipt: string | null;
  /** After forget-me: drop the learner cookie and start over as a new learner with a new personalizer. */
  startOver: (receipt: string) => Promise<void>;
}

export const ShellContext = createContext<ShellState | null>(null);

export function useShell(): ShellState {
  const shell = useContext(ShellContext);
  if (!shell) throw new Error("useShell: render inside <DemoShell>");
  return shell;
}
