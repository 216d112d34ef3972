// Second half of `npm run build`: puts the wasm module (SINGLE_FILE ES module)
// and its hand-written typing next to the compiled package in dist/.
// Source: env GRADVY_WASM_MODULE, else build/wasm-release/gradvy_core.mjs.
import { copyFileSync, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const source = resolve(root, process.env.GRADVY_WASM_MODULE || 'build/wasm-release/gradvy_core.mjs');
if (!existsSync(source)) {
  console.error(`copy-wasm: ${source} does not exist; build it (scripts/build.sh wasm-release) or set GRADVY_WASM_MODULE`);
  process.exit(1);
}
copyFileSync(source, resolve(root, 'dist/gradvy_core.mjs'));
copyFileSync(resolve(root, 'wasm/gradvy_core.d.ts'), resolve(root, 'dist/gradvy_core.d.mts'));
console.log(`copy-wasm: dist/gradvy_core.mjs <- ${source}`);
