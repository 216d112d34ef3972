// Loads the wasm module once per JS realm. The module is the Emscripten ES
// module glue (gradvy_core.mjs) plus gradvy_core.wasm beside it: in browsers
// the glue fetches it through new URL('gradvy_core.wasm', import.meta.url),
// which bundlers (webpack, Turbopack, Vite) emit as an asset, and compiles it
// while it streams; in Node the glue reads the file from disk. Nothing runs at
// import time: the dynamic import happens on the first createPersonalizer().
import type { GradvyCoreModule } from "./gradvy_core.mjs";

let loading: Promise<GradvyCoreModule> | null = null;

/** The shared core module; the first call instantiates it, later calls reuse it. */
export function loadCore(): Promise<GradvyCoreModule> {
  if (!loading) {
    loading = import("./gradvy_core.mjs").then((m) => m.default());
    loading.catch(() => {
      loading = null; // a failed load (e.g. CSP, network) may be retried
    });
  }
  return loading;
}
