// Loads the wasm module once per JS realm. The module is a SINGLE_FILE ES
// module (the .wasm is inlined), so no URL or fetch configuration is needed
// and bundlers treat it as ordinary JS. Nothing runs at import time: the
// dynamic import happens on the first createPersonalizer().
import type { GradvyCoreModule } from "./gradvy_core.mjs";

let loading: Promise<GradvyCoreModule> | null = null;

/** The shared core module; the first call instantiates it, later calls reuse it. */
export function loadCore(): Promise<GradvyCoreModule> {
  if (!loading) {
    loading = import("./gradvy_core.mjs").then((m) => m.default());
    loading.catch(() => {
      loading = null; // a failed load (e.g. CSP) may be retried
    });
  }
  return loading;
}
