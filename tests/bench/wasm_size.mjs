// Where the wasm module's bytes go: section sizes, gzip size and, for a build
// that kept function names, code bytes by origin and the largest functions.
// Prints `name=value unit` lines; checks nothing.
//
// Run on the release module (sections and gzip only):
//   node tests/bench/wasm_size.mjs build/wasm-release/gradvy_core.wasm
// With names (the same code plus a name section):
//   emcmake cmake -S . -B build/wasm-names -DCMAKE_BUILD_TYPE=Release -DGRADVY_WASM_NAMES=ON \
//     -DCMAKE_CROSSCOMPILING_EMULATOR=/usr/bin/node && cmake --build build/wasm-names --target gradvy_wasm
//   node tests/bench/wasm_size.mjs build/wasm-names/gradvy_core.wasm --top 30
// Names are demangled with c++filt when it is installed.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';

const SECTION_NAMES = ['custom', 'type', 'import', 'function', 'table', 'memory', 'global', 'export', 'start',
  'element', 'code', 'data', 'data_count'];

/** An unsigned LEB128 at `at`: [value, next offset]. */
function leb(bytes, at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[at++];
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (b < 0x80) return [value, at];
  }
}

function skipName(bytes, at) {
  const [length, next] = leb(bytes, at);
  return next + length;
}

/** Sections, the size of each function body and the function names (if any). */
function readModule(bytes) {
  const sections = [];
  const bodies = [];
  const names = new Map();
  let importedFunctions = 0;
  const text = new TextDecoder();
  for (let at = 8; at < bytes.length;) {
    const id = bytes[at];
    const [size, start] = leb(bytes, at + 1);
    const end = start + size;
    let name = SECTION_NAMES[id] ?? `id${id}`;
    if (id === 0) {
      const [length, from] = leb(bytes, start);
      name = `custom_${text.decode(bytes.subarray(from, from + length))}`;
      if (name === 'custom_name') readNames(bytes, from + length, end, names);
    } else if (id === 2) {
      let [count, p] = leb(bytes, start);
      for (let i = 0; i < count; ++i) {
        p = skipName(bytes, skipName(bytes, p));
        const kind = bytes[p++];
        if (kind === 0) { [, p] = leb(bytes, p); ++importedFunctions; }
        else if (kind === 1) { p += 1; const [flags, q] = leb(bytes, p); [, p] = leb(bytes, q); if (flags & 1) [, p] = leb(bytes, p); }
        else if (kind === 2) { const [flags, q] = leb(bytes, p); [, p] = leb(bytes, q); if (flags & 1) [, p] = leb(bytes, p); }
        else if (kind === 3) p += 2;
      }
    } else if (id === 10) {
      let [count, p] = leb(bytes, start);
      for (let i = 0; i < count; ++i) {
        const [length, body] = leb(bytes, p);
        bodies.push(length);
        p = body + length;
      }
    }
    sections.push({ name, size });
    at = end;
  }
  const functions = bodies.map((size, i) => ({ size, name: names.get(importedFunctions + i) ?? null }));
  return { sections, functions };
}

function readNames(bytes, at, end, names) {
  const text = new TextDecoder();
  while (at < end) {
    const kind = bytes[at];
    const [size, start] = leb(bytes, at + 1);
    if (kind === 1) {
      let [count, p] = leb(bytes, start);
      for (let i = 0; i < count; ++i) {
        let index, length;
        [index, p] = leb(bytes, p);
        [length, p] = leb(bytes, p);
        names.set(index, text.decode(bytes.subarray(p, p + length)));
        p += length;
      }
    }
    at = start + size;
  }
}

function demangle(names) {
  try {
    return execFileSync('c++filt', { input: names.join('\n'), maxBuffer: 64 << 20 }).toString().split('\n');
  } catch {
    return names;
  }
}

/** Where a function comes from, by its demangled name. */
function origin(name) {
  if (/^gradvy_/.test(name)) return 'exports';  // the C exports, with what the linker inlined into them
  if (/nlohmann/.test(name)) return 'nlohmann';
  if (/gradvy::/.test(name) && !/^(void )?std::/.test(name)) return 'core';
  if (/^(void |bool )?std::/.test(name)) return 'libcxx';
  return 'libc';
}

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--') && !/^\d+$/.test(a)) ?? 'build/wasm-release/gradvy_core.wasm';
const topIndex = args.indexOf('--top');
const top = topIndex >= 0 ? Number(args[topIndex + 1]) : 20;
const bytes = readFileSync(file);
const { sections, functions } = readModule(bytes);

console.log(`wasm_file=${file}`);
console.log(`wasm_raw_bytes=${bytes.length} B`);
console.log(`wasm_gzip_bytes=${gzipSync(bytes, { level: 9 }).length} B`);
for (const s of sections) console.log(`section_${s.name}_bytes=${s.size} B`);
console.log(`functions=${functions.length}`);

if (functions.some((f) => f.name !== null)) {
  const names = demangle(functions.map((f) => f.name ?? '?'));
  const byOrigin = new Map();
  functions.forEach((f, i) => {
    f.name = names[i];
    const group = origin(f.name);
    byOrigin.set(group, (byOrigin.get(group) ?? 0) + f.size);
  });
  for (const [group, size] of [...byOrigin].sort((a, b) => b[1] - a[1])) console.log(`code_${group}_bytes=${size} B`);
  const largest = [...functions].sort((a, b) => b.size - a.size).slice(0, top);
  largest.forEach((f, i) => console.log(`largest_${i + 1}=${f.size} B ${f.name.slice(0, 160)}`));
} else {
  console.log('names=absent (configure with -DGRADVY_WASM_NAMES=ON for the breakdown by function)');
}
