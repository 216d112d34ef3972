// track() of a small course_interaction event and take-batch + ack through
// the public wasm binding in Node, plus the gzip size of the module.
//   GRADVY_WASM_MODULE=build/<dir>/gradvy_core.mjs node tests/bench/wasm_track.mjs
import { pathToFileURL, fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const modulePath = process.env.GRADVY_WASM_MODULE ?? path.join(root, 'build/wasm-release/gradvy_core.mjs');
const { default: createGradvyCore } = await import(pathToFileURL(modulePath).href);
const core = await createGradvyCore();

const raw = readFileSync(modulePath);
console.log(`wasm_module_bytes=${raw.length} bytes`);
console.log(`wasm_module_gzip_bytes=${gzipSync(raw, { level: 9 }).length} bytes`);

const engine = core.createEngine('{"queue":{"batch_size":50,"max_events":100000}}', 'b3c4').value;
engine.setConsent('{"analytics":true}', 1);
const props = '{"course_id":"py-101","action":"view","duration":12.5}';
const ctx = '{"page_url":"/courses/py-101","locale":"en-GB"}';
let now = 1_763_800_000_000;

function round() {
  for (let i = 0; i < 50; i++) {
    if (engine.track('course_interaction', props, ctx, ++now) !== 1) throw new Error(JSON.stringify(engine.lastError()));
  }
}
for (let r = 0; r < 400; r++) { round(); const b = engine.takeBatch(now, true); engine.ack(b.batchId, now); }

// CPU time of this process (the CI machine is shared; wall time is printed too).
let trackUs = 0, takeUs = 0, events = 0;
const wall0 = process.hrtime.bigint();
for (let r = 0; r < 6000; r++) {
  const c0 = process.cpuUsage();
  round();
  const c1 = process.cpuUsage(c0);
  trackUs += c1.user + c1.system;
  events += 50;
  const c2 = process.cpuUsage();
  const batch = engine.takeBatch(now, false);
  const acked = engine.ack(batch.batchId, now);
  const c3 = process.cpuUsage(c2);
  takeUs += c3.user + c3.system;
  if (!acked.ok || acked.value.acked !== 50) throw new Error('ack failed');
}
const wallS = Number(process.hrtime.bigint() - wall0) / 1e9;
console.log(`wasm_track_events_per_s=${Math.round(events / (trackUs / 1e6))} events/s`);
console.log(`wasm_take_batch_events_per_s=${Math.round(events / (takeUs / 1e6))} events/s`);
console.log(`wasm_track_plus_take_wall_events_per_s=${Math.round(events / wallS)} events/s`);
engine.delete();
