// Second half of `npm run build`: puts the wasm module (the Emscripten ES
// module glue and gradvy_core.wasm, which the glue loads from next to itself)
// and its hand-written typing next to the compiled package in dist/.
// Source: env GRADVY_WASM_MODULE (the .mjs; the .wasm beside it), else
// build/wasm-release/gradvy_core.mjs.
import { copyFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const glue = resolve(root, process.env.GRADVY_WASM_MODULE || 'build/wasm-release/gradvy_core.mjs');
// The glue asks for this exact name (new URL('gradvy_core.wasm', import.meta.url)).
const binary = join(dirname(glue), 'gradvy_core.wasm');
for (const file of [glue, binary]) {
  if (!existsSync(file)) {
    console.error(`copy-wasm: ${file} does not exist; build it (scripts/build.sh wasm-release) or set GRADVY_WASM_MODULE`);
    process.exit(1);
  }
}
copyFileSync(glue, resolve(root, 'dist/gradvy_core.mjs'));
copyFileSync(binary, resolve(root, 'dist/gradvy_core.wasm'));
copyFileSync(resolve(root, 'wasm/gradvy_core.d.ts'), resolve(root, 'dist/gradvy_core.d.mts'));
console.log(`copy-wasm: dist/gradvy_core.mjs, dist/gradvy_core.wasm <- ${dirname(glue)}`);
