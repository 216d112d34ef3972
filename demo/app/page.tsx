// The demo's only page. A server component: it renders the explanation below
// the panels on the server, and imports the package there too (the package
// touches no browser global at import), like an app's server code would.
import { KEEPALIVE_BUDGET_BYTES } from "@gradvy/personalize";
import { DemoShell } from "../components/DemoShell";

export default function Home() {
  return (
    <DemoShell>
      <footer className="page-footer">
        <h2>How this page is wired</h2>
        <ol>
          <li>
            <code>GET /api/token</code> (a Next.js route handler) keeps a pseudonymous learner id in an httpOnly cookie
            and signs a 15-minute token with the secret shared with <code>gradvy-sync</code>. The token lives in memory
            only.
          </li>
          <li>
            <code>&lt;PersonalizerProvider&gt;</code> from <code>@gradvy/personalize/react</code> loads the WebAssembly
            core in the browser, restores the encrypted state from IndexedDB and sends batches to{" "}
            <code>/gradvy/v1/*</code>, which this app proxies to <code>gradvy-sync</code>.
          </li>
          <li>
            Candidates come from <code>GET /gradvy/v1/candidates</code> and are re-ranked on the device with{" "}
            <code>useRerank()</code>; the raw events leave the device only with the matching consent.
          </li>
          <li>
            When the page is hidden, what is queued goes out with <code>fetch(keepalive)</code> (up to{" "}
            {Math.round(KEEPALIVE_BUDGET_BYTES / 1024)} KiB in flight, the browser’s limit); the rest waits for the next
            visit.
          </li>
        </ol>
      </footer>
    </DemoShell>
  );
}
