import type { ErrorCode } from "./gradvy_core.mjs";

/** Codes the package adds on top of the core's (ErrorCode). */
export type PackageErrorCode =
  | "network"          // the sync server could not be reached or answered unexpectedly
  | "unauthorized"     // the server refused the token twice (getToken() was asked again once)
  | "server"           // the sync server answered with an error status
  | "storage"          // IndexedDB / WebCrypto failed; the package fell back to memory
  | "destroyed"        // the personalizer was destroyed
  | "not_configured";  // the call needs an option that was not given (e.g. endpoint)

export type PersonalizeErrorCode = ErrorCode | PackageErrorCode;

/** Every failure the package reports: `code` is stable, `message` names the field and the rule. */
export class PersonalizeError extends Error {
  readonly code: PersonalizeErrorCode;
  /** HTTP status when the error came from the sync server. */
  readonly status?: number;

  constructor(code: PersonalizeErrorCode, message: string, options?: { status?: number; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "PersonalizeError";
    this.code = code;
    if (options?.status !== undefined) this.status = options.status;
  }
}

/** Unwraps a core Outcome<T>, throwing its failure as a PersonalizeError. */
export function unwrap<T>(outcome: { ok: true; value: T } | { ok: false; code: ErrorCode; message: string }): T {
  if (outcome.ok) return outcome.value;
  throw new PersonalizeError(outcome.code, outcome.message);
}
