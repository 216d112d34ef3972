// Server side only: the learner's pseudonymous id and the bearer token for
// gradvy-sync, signed with the shared secret (format of
// server-stub/include/gradvy_sync/auth_token.hpp). This is the piece a real app
// puts in its own backend; the secret never reaches the browser.
import { createHmac, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";

export const LEARNER_COOKIE = "gradvy_demo_learner";
export const TOKEN_TTL_SECONDS = 15 * 60;

const LEARNER_ID = /^learner-[0-9a-f]{16}$/;

export function isLearnerId(value: string | undefined): value is string {
  return typeof value === "string" && LEARNER_ID.test(value);
}

export function newLearnerId(): string {
  return `learner-${randomBytes(8).toString("hex")}`;
}

let cachedSecret: { path: string; secret: string } | null = null;

/** The secret file's content minus trailing whitespace, as gradvy-sync reads it. */
export function readSecret(): string {
  const path = process.env.GRADVY_SECRET_FILE;
  if (!path) throw new Error("GRADVY_SECRET_FILE is not set (the file gradvy-sync was started with)");
  if (cachedSecret?.path === path) return cachedSecret.secret;
  const secret = readFileSync(path, "utf8").replace(/\s+$/, "");
  if (Buffer.byteLength(secret) < 16) throw new Error(`GRADVY_SECRET_FILE ${path}: the secret must be at least 16 bytes`);
  cachedSecret = { path, secret };
  return secret;
}

export interface SignedToken {
  token: string;
  /** Unix milliseconds. */
  expiresAt: number;
}

export function signToken(sub: string, secret: string, nowMs = Date.now()): SignedToken {
  const exp = Math.floor(nowMs / 1000) + TOKEN_TTL_SECONDS;
  const payload = Buffer.from(JSON.stringify({ sub, exp }), "utf8").toString("base64url");
  const signature = createHmac("sha256", secret).update(payload, "ascii").digest("base64url");
  return { token: `${payload}.${signature}`, expiresAt: exp * 1000 };
}
