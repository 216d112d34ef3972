// Types of the wasm module the package loads from ./gradvy_core.mjs. The
// contract itself is hand-written in wasm/gradvy_core.d.ts (owned by the
// engine); `npm run build` copies it next to the module as dist/gradvy_core.d.mts.
export * from "../../wasm/gradvy_core.js";
export { default } from "../../wasm/gradvy_core.js";
