// Talks to gradvy-sync. The bearer token comes from the app's getToken() on
// each request and lives only in memory (the last one is kept for page-hide
// sends, which cannot wait for a promise); it is never written to storage.
import { PersonalizeError } from "../errors.js";
import { classifyStatus, networkFailure, type DeliveryOutcome } from "./status.js";

/** Browsers cap the bodies of all in-flight keepalive requests at 64 KiB together. */
export const KEEPALIVE_BUDGET_BYTES = 64 * 1024;

export type GetToken = (options: { forceRefresh: boolean }) => string | null | undefined | Promise<string | null | undefined>;

export interface HttpTransportOptions {
  endpoint: string;
  getToken?: GetToken;
  fetch?: typeof fetch;
  now: () => number;
}

interface Sent {
  status: number;
  headers: Headers;
  text: string;
}

export class HttpTransport {
  private readonly endpoint: string;
  private readonly getTokenFn?: GetToken;
  private readonly fetchFn: typeof fetch;
  private readonly now: () => number;
  private token: string | null = null;
  private tokenPrefetch: Promise<unknown> | null = null;
  private lastPrefetchAt = -Infinity;
  private keepaliveBytes = 0;

  constructor(options: HttpTransportOptions) {
    this.endpoint = options.endpoint.replace(/\/+$/, "");
    this.getTokenFn = options.getToken;
    this.fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.now = options.now;
  }

  private async freshToken(forceRefresh: boolean): Promise<string | null> {
    if (!this.getTokenFn) return null;
    if (!forceRefresh && this.token) return this.token;
    if (!forceRefresh && this.tokenPrefetch) {
      await this.tokenPrefetch;
      if (this.token) return this.token;
    }
    const t = await this.getTokenFn({ forceRefresh });
    this.token = t || null;
    return this.token;
  }

  forgetToken(): void {
    this.token = null;
  }

  /** Whether a page-hide send can authenticate: a token is in memory, or the app supplies none. */
  get canSendOnHide(): boolean {
    return !this.getTokenFn || this.token !== null;
  }

  /**
   * Asks getToken() in the background (at most every 5 s) so that a page hide, which cannot wait for
   * a promise, finds a token. Failures are left to the next real request, which reports them.
   */
  prefetchToken(): void {
    if (!this.getTokenFn || this.token || this.tokenPrefetch || this.now() - this.lastPrefetchAt < 5_000) return;
    this.lastPrefetchAt = this.now();
    this.tokenPrefetch = this.freshToken(false)
      .catch(() => null)
      .finally(() => {
        this.tokenPrefetch = null;
      });
  }

  private async send(method: string, path: string, body: string | undefined, keepalive: boolean, token: string | null): Promise<Sent> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (token) headers["Authorization"] = `Bearer ${token}`;
    const bytes = keepalive && body !== undefined ? new TextEncoder().encode(body).length : 0;
    const useKeepalive = keepalive && this.keepaliveBytes + bytes <= KEEPALIVE_BUDGET_BYTES;
    if (useKeepalive) this.keepaliveBytes += bytes;
    try {
      const init: RequestInit = { method, headers, keepalive: useKeepalive, credentials: "omit", cache: "no-store" };
      if (body !== undefined) init.body = body;
      const res = await this.fetchFn(`${this.endpoint}${path}`, init);
      return { status: res.status, headers: res.headers, text: await res.text() };
    } finally {
      if (useKeepalive) this.keepaliveBytes -= bytes;
    }
  }

  /** One authenticated request; a 401 asks getToken() again once (forceRefresh) and retries. */
  private async authed(method: string, path: string, body?: string, keepalive = false): Promise<Sent> {
    let res = await this.send(method, path, body, keepalive, await this.freshToken(false));
    if (res.status === 401 && this.getTokenFn) {
      res = await this.send(method, path, body, keepalive, await this.freshToken(true));
    }
    return res;
  }

  /** POST /v1/batch. Never throws: every result is an outcome for the core. */
  async postBatch(body: string, keepalive: boolean): Promise<DeliveryOutcome> {
    try {
      const res = await this.authed("POST", "/v1/batch", body, keepalive);
      return classifyStatus(res.status, res.headers.get("Retry-After"), this.now(), errorMessage(res));
    } catch (e) {
      return networkFailure(e instanceof Error ? e.message : String(e));
    }
  }

  /** Page-hide send: no awaiting a token (the page may be gone); uses the last one. */
  postBatchOnHide(body: string): Promise<DeliveryOutcome> {
    return this.send("POST", "/v1/batch", body, true, this.token).then(
      (res) => classifyStatus(res.status, res.headers.get("Retry-After"), this.now(), errorMessage(res)),
      (e: unknown) => networkFailure(e instanceof Error ? e.message : String(e)),
    );
  }

  /** A JSON call that must succeed (consent, export, delete, aggregates); throws PersonalizeError. */
  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Sent;
    try {
      res = await this.authed(method, path, body === undefined ? undefined : JSON.stringify(body));
    } catch (e) {
      throw new PersonalizeError("network", `${method} ${path}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    if (res.status === 401) throw new PersonalizeError("unauthorized", `${method} ${path}: token refused (${errorMessage(res)})`, { status: 401 });
    if (res.status < 200 || res.status >= 300) {
      throw new PersonalizeError("server", `${method} ${path}: HTTP ${res.status} ${errorMessage(res)}`, { status: res.status });
    }
    try {
      return (res.text ? JSON.parse(res.text) : null) as T;
    } catch {
      throw new PersonalizeError("server", `${method} ${path}: the answer is not JSON`, { status: res.status });
    }
  }
}

function errorMessage(res: Sent): string {
  try {
    const doc = JSON.parse(res.text) as { error?: { code?: string; message?: string } };
    if (doc && doc.error) return `${doc.error.code ?? ""}: ${doc.error.message ?? ""}`;
  } catch {
    /* not JSON */
  }
  return res.text.slice(0, 200);
}
