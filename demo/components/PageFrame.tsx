// The page around the panels: the <main> of the test contract, the header with
// the learner and the personalizer's state, and the footer.
import type { ReactNode } from "react";

export interface PageFrameProps {
  ready: boolean;
  learnerId: string | null;
  status: string | null;
  error: string | null;
  footer?: ReactNode;
  children: ReactNode;
}

export function PageFrame({ ready, learnerId, status, error, footer, children }: PageFrameProps) {
  return (
    <main data-testid="demo" data-ready={ready ? "true" : "false"} className="page">
      <header className="page-header">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            G
          </span>
          <div>
            <h1>Gradvy Personalize</h1>
            <p className="tagline">On-device personalization for learning platforms: a live demo against a real sync server.</p>
          </div>
        </div>
        <dl className="header-facts">
          <div>
            <dt>Learner</dt>
            <dd>
              {learnerId ? (
                <code data-testid="learner-id" className="learner-id">
                  {learnerId}
                </code>
              ) : (
                <span className="muted">…</span>
              )}
            </dd>
          </div>
          <div>
            <dt>Personalizer</dt>
            <dd className={ready ? "state-ok" : "muted"} role="status">
              {status ?? (ready ? "ready" : "starting…")}
            </dd>
          </div>
        </dl>
      </header>
      {error && (
        <p className="banner-error" role="alert">
          {error}
        </p>
      )}
      {children}
      {footer}
    </main>
  );
}
