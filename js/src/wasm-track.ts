// track() into the wasm core without per-call string conversions. The module's
// Engine.track mallocs, encodes and frees its three strings on every call;
// here each string is written as UTF-8 into its own region of
// wasm memory, allocated once and reused, and one plain export reads them
// there. The event type and the page context repeat from call to call, so they
// are only re-encoded when they change.
import type { Engine, GradvyCoreModule } from "./gradvy_core.mjs";
import { PersonalizeError } from "./errors.js";

/** Regions grown past this are given back after the call (one huge event must not pin memory). */
const KEEP_BYTES = 64 * 1024;
/** Strings up to this length are encoded by writeUtf8; longer ones by TextEncoder. In Chromium
 *  encodeInto costs ~0.7 µs per call before the first byte (a view of wasm memory, the result
 *  object), writeUtf8 ~4 ns per character: equal near 200 ASCII characters. */
const LOOP_MAX_CHARS = 192;

let encoder: TextEncoder | null = null;

/** One string's UTF-8 bytes in wasm memory, kept between calls. */
class HeapText {
  ptr = 0;
  capacity = 0;
  bytes = 0;
  /** The string whose bytes are at ptr (null: none or unknown). */
  held: string | null = null;
}

export class WasmTrack {
  private readonly core: GradvyCoreModule;
  private readonly engine: number;
  private readonly type = new HeapText();
  private readonly props = new HeapText();
  private readonly ctx = new HeapText();
  /** Some region is over KEEP_BYTES. */
  private oversized = false;

  constructor(core: GradvyCoreModule, engine: Engine) {
    this.core = core;
    this.engine = engine.address();
  }

  /** Same as Engine.track(type, propsJson, ctxJson, nowMs): TRACK_* bits, or < 0 with the error in lastError(). */
  track(type: string, propsJson: string, ctxJson: string, nowMs: number): number {
    const typeBytes = type === this.type.held ? this.type.bytes : this.write(this.type, type);
    const propsBytes = this.write(this.props, propsJson);
    const ctxBytes = ctxJson === this.ctx.held ? this.ctx.bytes : this.write(this.ctx, ctxJson);
    const r = this.core._gradvy_track(this.engine, this.type.ptr, typeBytes, this.props.ptr, propsBytes, this.ctx.ptr, ctxBytes, nowMs);
    if (this.oversized) this.shrink();
    return r;
  }

  /** Frees the regions; call before the engine's delete(). */
  free(): void {
    this.release(this.type);
    this.release(this.props);
    this.release(this.ctx);
  }

  private shrink(): void {
    for (const slot of [this.type, this.props, this.ctx]) if (slot.capacity > KEEP_BYTES) this.release(slot);
    this.oversized = false;
  }

  private write(slot: HeapText, text: string): number {
    const n = text.length;
    // UTF-8 takes at most 3 bytes per UTF-16 unit (a surrogate pair: 4 for 2).
    if (slot.capacity < n * 3) this.reserve(slot, n * 3);
    // Read HEAPU8 after any malloc: growing the memory replaces the view.
    let written: number;
    if (n <= LOOP_MAX_CHARS) {
      written = writeUtf8(text, this.core.HEAPU8, slot.ptr);
    } else {
      encoder ??= new TextEncoder();
      written = encoder.encodeInto(text, this.core.HEAPU8.subarray(slot.ptr, slot.ptr + slot.capacity)).written;
    }
    slot.held = text;
    slot.bytes = written;
    return written;
  }

  private reserve(slot: HeapText, bytes: number): void {
    const capacity = Math.max(bytes, slot.capacity * 2, 64);
    const ptr = this.core._malloc(capacity);
    if (ptr === 0) throw new PersonalizeError("limit_exceeded", `track(): wasm memory exhausted (${capacity} bytes for the event's text)`);
    this.release(slot);
    slot.ptr = ptr;
    slot.capacity = capacity;
    if (capacity > KEEP_BYTES) this.oversized = true;
  }

  private release(slot: HeapText): void {
    if (slot.ptr !== 0) this.core._free(slot.ptr);
    slot.ptr = 0;
    slot.capacity = 0;
    slot.bytes = 0;
    slot.held = null;
  }
}

/** Writes `text` as UTF-8 at heap[at...] and returns the byte count; the same bytes as TextEncoder
 *  (a lone surrogate has no UTF-8 form and becomes U+FFFD). */
export function writeUtf8(text: string, heap: Uint8Array, at: number): number {
  const n = text.length;
  let o = at;
  for (let i = 0; i < n; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      heap[o++] = c;
      continue;
    }
    if (c < 0x800) {
      heap[o++] = 0xc0 | (c >> 6);
      heap[o++] = 0x80 | (c & 0x3f);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const low = c <= 0xdbff && i + 1 < n ? text.charCodeAt(i + 1) : 0;
      if (low >= 0xdc00 && low <= 0xdfff) {
        i++;
        const cp = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
        heap[o++] = 0xf0 | (cp >> 18);
        heap[o++] = 0x80 | ((cp >> 12) & 0x3f);
        heap[o++] = 0x80 | ((cp >> 6) & 0x3f);
        heap[o++] = 0x80 | (cp & 0x3f);
        continue;
      }
      c = 0xfffd;
    }
    heap[o++] = 0xe0 | (c >> 12);
    heap[o++] = 0x80 | ((c >> 6) & 0x3f);
    heap[o++] = 0x80 | (c & 0x3f);
  }
  return o - at;
}
