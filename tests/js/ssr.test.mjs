// Importing the package (both entry points) in Node, during SSR or in a React
// Server Component touches no browser global; server rendering of the provider
// works and a personalizer created in Node keeps its state in memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { distDir, root } from './helpers.mjs';

// Runs in a fresh Node process where touching any browser global throws.
const probe = `
const touched = [];
for (const name of ['window', 'document', 'navigator', 'indexedDB', 'localStorage', 'sessionStorage', 'location', 'self', 'addEventListener']) {
  Object.defineProperty(globalThis, name, { configurable: true, get() { touched.push(name); throw new Error('touched ' + name); } });
}
const index = await import(${JSON.stringify(pathToFileURL(join(distDir, 'index.js')).href)});
const react = await import(${JSON.stringify(pathToFileURL(join(distDir, 'react/index.js')).href)});
const { createElement } = await import('react');
const { renderToString } = await import('react-dom/server');
const html = renderToString(createElement(react.PersonalizerProvider, { options: { userId: 'u' } },
  createElement(function Child() {
    const p = react.usePersonalizer();
    const { ranking, loading } = react.useRerank([{ id: 'a' }]);
    const { consent } = react.useConsent();
    return createElement('p', null, String(p) + ':' + String(ranking) + ':' + String(loading) + ':' + String(consent));
  })));
console.log(JSON.stringify({ touched, exports: Object.keys(index).sort(), reactExports: Object.keys(react).sort(), html }));
`;

test('importing both entry points and server-rendering touches no browser global', () => {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: root, encoding: 'utf8' });
  const result = JSON.parse(out.trim().split('\n').at(-1));
  assert.deepEqual(result.touched, []);
  assert.ok(result.exports.includes('createPersonalizer'));
  assert.ok(result.exports.includes('PersonalizeError'));
  for (const name of ['PersonalizerProvider', 'usePersonalizer', 'useRerank', 'useConsent']) {
    assert.ok(result.reactExports.includes(name), name);
  }
  assert.match(result.html, /null:null:true:null/, 'the server render shows the loading state');
});

test('the react entry point is a client module', async () => {
  const { readFileSync } = await import('node:fs');
  const text = readFileSync(join(distDir, 'react/index.js'), 'utf8');
  assert.match(text, /^["']use client["'];/);
});

test('createPersonalizer in Node (no window) works with the memory store', async () => {
  const { createPersonalizer } = await import(pathToFileURL(join(distDir, 'index.js')).href);
  const p = await createPersonalizer({ autoFlush: false });
  try {
    assert.equal(p.storageKind, 'memory');
    await p.setConsent({ personalization: true });
    assert.equal(p.track('page_view', {}).profiled, true);
  } finally {
    await p.destroy();
  }
});
