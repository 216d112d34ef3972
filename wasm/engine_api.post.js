// Linked with --post-js into gradvy_core.mjs (runs inside the factory): the JS
// API of wasm/gradvy_core.d.ts over the C exports of wasm/bindings.cpp. It only
// moves values: strings in as UTF-8 in wasm memory, documents out as JSON text
// parsed once, ranking arrays as views of wasm memory. Every rule lives in C++.
var gradvyEncoder = new TextEncoder();
var gradvyDecoder = new TextDecoder();
var gradvyInfo = null;

// The text an export left in its out buffer (ptr 0 = null), copied out.
function gradvyText(ptr) {
  return ptr ? gradvyDecoder.decode(HEAPU8.subarray(ptr, ptr + _gradvy_out_length())) : null;
}
function gradvyJson(ptr) {
  return ptr ? JSON.parse(gradvyText(ptr)) : null;
}

// Calls fn(...args) with each string argument replaced by (pointer, byte length)
// of its UTF-8 in one malloc'ed block, freed after the call. A lone surrogate
// becomes U+FFFD (TextEncoder), as in the package's track path.
function gradvyWithStrings(fn, args) {
  var capacity = 0;
  var encoded = [];
  for (var i = 0; i < args.length; i++) {
    if (typeof args[i] != 'string') continue;
    // Short strings are written in place (at most 3 bytes per UTF-16 unit); long
    // ones (a snapshot) are measured first so the block is not 3x their size.
    encoded[i] = args[i].length > 65536 ? gradvyEncoder.encode(args[i]) : null;
    capacity += encoded[i] ? encoded[i].length : args[i].length * 3;
  }
  var base = capacity ? _malloc(capacity) : 0;
  if (capacity && !base) throw new RangeError('gradvy: out of wasm memory for ' + capacity + ' bytes of arguments');
  var at = base;
  var call = [];
  for (var i = 0; i < args.length; i++) {
    if (typeof args[i] != 'string') {
      call.push(args[i]);
      continue;
    }
    var bytes;
    if (encoded[i]) {
      HEAPU8.set(encoded[i], at);
      bytes = encoded[i].length;
    } else {
      bytes = gradvyEncoder.encodeInto(args[i], HEAPU8.subarray(at, at + args[i].length * 3)).written;
    }
    call.push(at, bytes);
    at += bytes;
  }
  try {
    return fn.apply(null, call);
  } finally {
    if (base) _free(base);
  }
}

function gradvyString(value, name) {
  if (typeof value != 'string') throw new TypeError(name + ': must be a string');
  return value;
}

function gradvyModuleInfo() {
  return gradvyInfo || (gradvyInfo = gradvyJson(_gradvy_module_info()));
}

// An engine handle; delete() frees the wasm-side object.
function GradvyEngine(address) {
  this.ptr = address;
}
function gradvyLive(engine) {
  if (!engine.ptr) throw new Error('Engine: used after delete()');
  return engine.ptr;
}
// A method over export `fn`: its parameters ('n' a number, 'b' a boolean, any
// other name a string) and how to read what the export returns. Numbers are
// coerced (a non-number becomes NaN, which the core refuses as a time).
function gradvyMethod(fn, read, params) {
  return function () {
    var args = [gradvyLive(this)];
    for (var i = 0; i < params.length; i++) {
      var p = params[i];
      args.push(p == 'n' ? Number(arguments[i]) : p == 'b' ? (arguments[i] ? 1 : 0) : gradvyString(arguments[i], p));
    }
    return read(gradvyWithStrings(fn, args));
  };
}
function gradvyAsIs(value) {
  return value;
}
var gradvyEngineMethods = {
  lastError: [_gradvy_engine_last_error, gradvyJson, []],
  ack: [_gradvy_engine_ack, gradvyJson, ['batchId', 'n']],
  nextWakeupMs: [_gradvy_engine_next_wakeup_ms, function (ms) { return ms === ms ? ms : null; }, ['n']],
  unpark: [_gradvy_engine_unpark, gradvyAsIs, ['n', 'b']],
  setConsent: [_gradvy_engine_set_consent, gradvyJson, ['changesJson', 'n']],
  applyTcf: [_gradvy_engine_apply_tcf, gradvyJson, ['tcString', 'n']],
  applyConsentMode: [_gradvy_engine_apply_consent_mode, gradvyJson, ['stateJson', 'n']],
  setGpc: [_gradvy_engine_set_gpc, gradvyJson, ['b', 'n']],
  consent: [_gradvy_engine_consent, gradvyJson, []],
  identify: [_gradvy_engine_identify, gradvyJson, ['userId']],
  setLocalOnly: [_gradvy_engine_set_local_only, gradvyAsIs, ['b']],
  takeAggregates: [_gradvy_engine_take_aggregates, gradvyJson, ['n']],
  snapshot: [_gradvy_engine_snapshot, gradvyText, []],
  restore: [_gradvy_engine_restore, gradvyJson, ['snapshotJson']],
  revision: [_gradvy_engine_revision, gradvyAsIs, []],
  stats: [_gradvy_engine_stats, gradvyJson, []],
  exportData: [_gradvy_engine_export_data, gradvyJson, ['n']],
  forget: [_gradvy_engine_forget, function () {}, []],
  profile: [_gradvy_engine_profile, gradvyJson, ['n']],
  insights: [_gradvy_engine_insights, gradvyJson, ['n']],
  setPreferences: [_gradvy_engine_set_preferences, gradvyJson, ['preferencesJson']],
  setCandidates: [_gradvy_engine_set_candidates, gradvyJson, ['candidatesJson', 'n', 'n', 'n']],
  rerank: [_gradvy_engine_rerank, gradvyJson, ['optionsJson', 'n']],
  feedback: [_gradvy_engine_feedback, gradvyJson, ['itemId', 'kind', 'reason', 'n']],
  variant: [_gradvy_engine_variant, gradvyJson, ['experimentId', 'variantsJson', 'n']],
};
for (var gradvyName in gradvyEngineMethods) {
  var spec = gradvyEngineMethods[gradvyName];
  GradvyEngine.prototype[gradvyName] = gradvyMethod(spec[0], spec[1], spec[2]);
}
GradvyEngine.prototype.address = function () {
  return gradvyLive(this);
};
GradvyEngine.prototype.track = function (type, props, ctx, nowMs) {
  var args = [gradvyLive(this), gradvyString(type, 'type'), gradvyString(props, 'propsJson'), gradvyString(ctx, 'ctxJson'), Number(nowMs)];
  return gradvyWithStrings(_gradvy_track, args);
};
GradvyEngine.prototype.takeBatch = function (nowMs, force) {
  var meta = gradvyJson(_gradvy_engine_take_batch(gradvyLive(this), Number(nowMs), force ? 1 : 0));
  if (meta) meta.body = gradvyText(_gradvy_engine_batch_body(this.ptr));
  return meta;
};
GradvyEngine.prototype.fail = function (batchId, options, nowMs) {
  // Non-finite numbers travel as strings so C++ refuses them (JSON would make them null).
  var json = options !== null && typeof options == 'object'
    ? JSON.stringify(options, function (key, v) { return typeof v == 'number' && !isFinite(v) ? String(v) : v; })
    : 'null';
  return gradvyJson(gradvyWithStrings(_gradvy_engine_fail, [gradvyLive(this), gradvyString(batchId, 'batchId'), json, Number(nowMs)]));
};
GradvyEngine.prototype.rerankInto = function (options, nowMs) {
  var outcome = gradvyJson(gradvyWithStrings(_gradvy_engine_rerank_into, [gradvyLive(this), gradvyString(options, 'optionsJson'), Number(nowMs)]));
  if (outcome.ok) {
    var v = outcome.value;
    var buffer = HEAPU8.buffer;
    v.indices = new Uint32Array(buffer, v.indices, v.count);
    v.scores = new Float64Array(buffer, v.scores, v.count);
    v.factors = new Float64Array(buffer, v.factors, v.count * gradvyModuleInfo().factor_names.length);
  }
  return outcome;
};
GradvyEngine.prototype['delete'] = function () {
  if (this.ptr) _gradvy_engine_destroy(this.ptr);
  this.ptr = 0;
};

Module['createEngine'] = function (configJson, seedHex) {
  var outcome = gradvyJson(gradvyWithStrings(_gradvy_engine_create, [gradvyString(configJson, 'configJson'), gradvyString(seedHex, 'seedHex')]));
  if (outcome.ok) outcome.value = new GradvyEngine(outcome.value);
  return outcome;
};
Module['version'] = function () { return gradvyModuleInfo().version; };
Module['factorNames'] = function () { return gradvyModuleInfo().factor_names.slice(); };
Module['limits'] = function () { return Object.assign({}, gradvyModuleInfo().limits); };
['queued', 'profiled', 'aggregated'].forEach(function (bit) {
  Object.defineProperty(Module, 'TRACK_' + bit.toUpperCase(), { get: function () { return gradvyModuleInfo().track_bits[bit]; } });
});
