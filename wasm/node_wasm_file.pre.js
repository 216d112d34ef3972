// Linked with --pre-js into gradvy_core.mjs (runs inside the factory, before
// the glue reads Module['wasmBinary']). In Node the glue, built for web and
// workers, would fetch() the file: URL of gradvy_core.wasm, which Node cannot
// do; hand it the bytes from disk instead. Browsers and bundlers keep the
// glue's own new URL('gradvy_core.wasm', import.meta.url) + streaming path.
if (!Module['wasmBinary'] && !Module['instantiateWasm'] && typeof process == 'object' && process && typeof process.getBuiltinModule == 'function') {
  var gradvyWasmUrl = new URL('gradvy_core.wasm', _scriptDir); // _scriptDir: the glue's import.meta.url
  if (gradvyWasmUrl.protocol == 'file:') Module['wasmBinary'] = process.getBuiltinModule('fs').readFileSync(gradvyWasmUrl);
}
