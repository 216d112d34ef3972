// The built wasm module (GRADVY_WASM_MODULE, set by ctest) loaded the way the
// npm package loads it: import the ES module glue, await its factory.
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';

export async function loadCore() {
  const modulePath = process.env.GRADVY_WASM_MODULE;
  assert.ok(modulePath, 'set GRADVY_WASM_MODULE to the built gradvy_core.mjs');
  const { default: createGradvyCore } = await import(pathToFileURL(modulePath).href);
  return createGradvyCore();
}
