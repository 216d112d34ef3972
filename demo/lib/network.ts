// The demo's fetch for the package: passes requests through, remembers the last
// POST .../v1/batch for the queue inspector, and can pretend the network is gone
// (every call rejects the way a real fetch does when offline).

export interface BatchRecord {
  body: string;
  status: number; // 0 = no answer (network error, simulated offline)
  at: number; // ms since the epoch
  error?: string;
}

let simulatedOffline = false;
let last: BatchRecord | null = null;
const listeners = new Set<() => void>();

function notify(): void {
  for (const cb of listeners) cb();
}

function requestUrl(input: RequestInfo | URL): string {
  if (typeof input === "string") return input;
  if (input instanceof URL) return input.href;
  return input.url;
}

function requestMethod(input: RequestInfo | URL, init?: RequestInit): string {
  if (init?.method) return init.method.toUpperCase();
  if (typeof input === "object" && !(input instanceof URL)) return input.method.toUpperCase();
  return "GET";
}

function bodyText(init?: RequestInit): string {
  const body = init?.body;
  if (typeof body === "string") return body;
  if (body instanceof Uint8Array) return new TextDecoder().decode(body);
  if (body instanceof ArrayBuffer) return new TextDecoder().decode(new Uint8Array(body));
  return body == null ? "" : "[non-text body]";
}

function isBatchPost(input: RequestInfo | URL, init?: RequestInit): boolean {
  return requestMethod(input, init) === "POST" && /\/v1\/batch(?:\?|$)/.test(requestUrl(input));
}

export function demoFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const batch = isBatchPost(input, init);
  const body = batch ? bodyText(init) : "";
  if (simulatedOffline) {
    const error = new TypeError("Failed to fetch (simulated offline)");
    if (batch) {
      last = { body, status: 0, at: Date.now(), error: error.message };
      notify();
    }
    return Promise.reject(error);
  }
  const pending = globalThis.fetch(input, init);
  if (!batch) return pending;
  return pending.then(
    (res) => {
      last = { body, status: res.status, at: Date.now() };
      notify();
      return res;
    },
    (e: unknown) => {
      last = { body, status: 0, at: Date.now(), error: e instanceof Error ? e.message : String(e) };
      notify();
      throw e;
    },
  );
}

export function setSimulatedOffline(on: boolean): void {
  if (simulatedOffline === on) return;
  simulatedOffline = on;
  notify();
  // Coming back is what a browser announces with "online": the package then
  // gives parked batches another round and sends right away.
  if (!on && typeof window !== "undefined") window.dispatchEvent(new Event("online"));
}

export function isSimulatedOffline(): boolean {
  return simulatedOffline;
}

export function lastBatch(): BatchRecord | null {
  return last;
}

export function subscribeNetwork(cb: () => void): () => void {
  listeners.add(cb);
  return () => {
    listeners.delete(cb);
  };
}
