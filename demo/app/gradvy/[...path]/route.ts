// /gradvy/v1/* -> ${GRADVY_SYNC_URL}/v1/*, resolved per request (not a
// build-time rewrite), so one build runs against any gradvy-sync. Same origin
// for the browser: no CORS, and the bearer token never leaves this site.
import type { NextRequest } from "next/server";

export const dynamic = "force-dynamic";

const FORWARD_REQUEST = ["authorization", "content-type", "if-none-match"];
const FORWARD_RESPONSE = ["content-type", "etag", "retry-after", "cache-control"];

function syncBase(): string {
  return (process.env.GRADVY_SYNC_URL || "http://127.0.0.1:8787").replace(/\/+$/, "");
}

function problem(status: number, error: string, message: string): Response {
  return Response.json({ error, message }, { status, headers: { "Cache-Control": "no-store" } });
}

async function proxy(request: NextRequest, context: { params: Promise<{ path: string[] }> }): Promise<Response> {
  const { path } = await context.params;
  if (path[0] !== "v1" || path.length < 2) return problem(404, "not_found", "only /gradvy/v1/* is proxied");
  const target = `${syncBase()}/${path.map(encodeURIComponent).join("/")}${request.nextUrl.search}`;

  const headers = new Headers();
  for (const name of FORWARD_REQUEST) {
    const value = request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  const hasBody = request.method !== "GET" && request.method !== "HEAD";
  let upstream: Response;
  try {
    upstream = await fetch(target, {
      method: request.method,
      headers,
      body: hasBody ? await request.arrayBuffer() : undefined,
      cache: "no-store",
      redirect: "manual",
    });
  } catch (e) {
    return problem(502, "sync_unreachable", `gradvy-sync at ${syncBase()} did not answer: ${e instanceof Error ? e.message : String(e)}`);
  }

  const out = new Headers();
  for (const name of FORWARD_RESPONSE) {
    const value = upstream.headers.get(name);
    if (value !== null) out.set(name, value);
  }
  const bodyless = upstream.status === 204 || upstream.status === 304 || request.method === "HEAD";
  return new Response(bodyless ? null : await upstream.arrayBuffer(), { status: upstream.status, headers: out });
}

export const GET = proxy;
export const HEAD = proxy;
export const POST = proxy;
export const PUT = proxy;
export const PATCH = proxy;
export const DELETE = proxy;
