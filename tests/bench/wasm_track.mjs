// track() of a small course_interaction event and take-batch + ack through
// the public wasm binding in Node, plus the gzip size of the module. Two
// track paths, alternating in blocks of 50 calls so both see the same machine:
// Engine.track (the module's glue encodes the three strings on every call) and the
// package's WasmTrack (UTF-8 in reused wasm memory, the `_gradvy_track` export;
// taken from the built package in GRADVY_DIST_DIR, default dist/).
//   GRADVY_WASM_MODULE=build/<dir>/gradvy_core.mjs GRADVY_DIST_DIR=build/<dist> node tests/bench/wasm_track.mjs
import { pathToFileURL, fileURLToPath } from 'node:url';
import { existsSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const modulePath = process.env.GRADVY_WASM_MODULE ?? path.join(root, 'build/wasm-release/gradvy_core.mjs');
const { default: createGradvyCore } = await import(pathToFileURL(modulePath).href);
const core = await createGradvyCore();
const wasmTrackFile = path.resolve(root, process.env.GRADVY_DIST_DIR ?? 'dist', 'wasm-track.js');
const WasmTrack = typeof core._gradvy_track === 'function' && existsSync(wasmTrackFile)
  ? (await import(pathToFileURL(wasmTrackFile).href)).WasmTrack : null;
if (!WasmTrack) console.log(`# no _gradvy_track in the module or no ${wasmTrackFile}: Engine.track only`);

// The glue (.mjs) plus the binary next to it (.wasm), each gzipped as served.
const raw = readFileSync(modulePath);
const binaryFile = modulePath.replace(/\.mjs$/, '.wasm');
const binary = existsSync(binaryFile) ? readFileSync(binaryFile) : Buffer.alloc(0);
console.log(`wasm_module_bytes=${raw.length + binary.length} bytes`);
console.log(`wasm_module_gzip_bytes=${gzipSync(raw, { level: 9 }).length + (binary.length ? gzipSync(binary, { level: 9 }).length : 0)} bytes`);

// Distinct props texts, as JSON.stringify makes a new one for every call in the package.
const propsList = Array.from({ length: 64 }, (_, i) => JSON.stringify({ course_id: `py-${101 + i}`, action: 'view', duration: 12.5 }));
const ctx = '{"page_url":"/courses/py-101","locale":"en-GB"}';
let now = 1_763_800_000_000;

/** One engine and how it is called: the module's Engine.track, or the package's WasmTrack. */
function makePath(viaBuffer) {
  const engine = core.createEngine('{"queue":{"batch_size":50,"max_events":100000}}', 'b3c4').value;
  engine.setConsent('{"analytics":true}', 1);
  const fast = viaBuffer ? new WasmTrack(core, engine) : null;
  const track = fast ? (t, p, c, n) => fast.track(t, p, c, n) : (t, p, c, n) => engine.track(t, p, c, n);
  return {
    engine, trackUs: 0, takeUs: 0, events: 0,
    round() {
      for (let i = 0; i < 50; i++) {
        if (track('course_interaction', propsList[i], ctx, ++now) !== 1) throw new Error(JSON.stringify(engine.lastError()));
      }
    },
    close() { fast?.free(); engine.delete(); },
  };
}
const paths = WasmTrack ? [makePath(false), makePath(true)] : [makePath(false)];
for (const p of paths) for (let r = 0; r < 400; r++) { p.round(); const b = p.engine.takeBatch(now, true); p.engine.ack(b.batchId, now); }

// CPU time of this process (the CI machine is shared; wall time is printed too).
const wall0 = process.hrtime.bigint();
for (let r = 0; r < 6000; r++) {
  for (const p of paths) {
    const c0 = process.cpuUsage();
    p.round();
    const c1 = process.cpuUsage(c0);
    p.trackUs += c1.user + c1.system;
    p.events += 50;
    const c2 = process.cpuUsage();
    const batch = p.engine.takeBatch(now, false);
    const acked = p.engine.ack(batch.batchId, now);
    const c3 = process.cpuUsage(c2);
    p.takeUs += c3.user + c3.system;
    if (!acked.ok || acked.value.acked !== 50) throw new Error('ack failed');
  }
}
const wallS = Number(process.hrtime.bigint() - wall0) / 1e9;
const [method, buffer] = paths;
console.log(`wasm_track_events_per_s=${Math.round(method.events / (method.trackUs / 1e6))} events/s`);
if (buffer) console.log(`wasm_track_buffer_events_per_s=${Math.round(buffer.events / (buffer.trackUs / 1e6))} events/s`);
console.log(`wasm_take_batch_events_per_s=${Math.round(method.events / (method.takeUs / 1e6))} events/s`);
console.log(`wasm_track_plus_take_wall_events_per_s=${Math.round(paths.reduce((n, p) => n + p.events, 0) / wallS)} events/s`);
for (const p of paths) p.close();
