// GET: the learner's id (httpOnly cookie, created on first call) and a fresh
// 15-minute token. DELETE: forget the cookie, so the next GET is a new learner.
import { NextResponse, type NextRequest } from "next/server";
import { LEARNER_COOKIE, isLearnerId, newLearnerId, readSecret, signToken } from "../../../lib/token";

export const dynamic = "force-dynamic";

const NO_STORE = { "Cache-Control": "no-store" };
const ONE_YEAR_S = 365 * 24 * 3600;

export function GET(request: NextRequest) {
  let secret: string;
  try {
    secret = readSecret();
  } catch (e) {
    return NextResponse.json({ error: "token_unavailable", message: e instanceof Error ? e.message : String(e) }, { status: 500, headers: NO_STORE });
  }
  const existing = request.cookies.get(LEARNER_COOKIE)?.value;
  const userId = isLearnerId(existing) ? existing : newLearnerId();
  const { token, expiresAt } = signToken(userId, secret);
  const response = NextResponse.json({ token, userId, expiresAt }, { headers: NO_STORE });
  if (userId !== existing) {
    response.cookies.set(LEARNER_COOKIE, userId, {
      httpOnly: true,
      sameSite: "lax",
      secure: request.nextUrl.protocol === "https:",
      path: "/",
      maxAge: ONE_YEAR_S,
    });
  }
  return response;
}

export function DELETE() {
  const response = new NextResponse(null, { status: 204, headers: NO_STORE });
  response.cookies.set(LEARNER_COOKIE, "", { httpOnly: true, sameSite: "lax", path: "/", maxAge: 0 });
  return response;
}
