// The published typings: a consumer file that uses the public API type-checks
// with tsc against dist/ (resolved through the package's exports map), and
// misuse is caught.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, symlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from './helpers.mjs';

const consumer = `
import { createPersonalizer, PersonalizeError, type Personalizer, type RerankResult, type ConsentView,
  type FlushEvent, type PersonalizeErrorCode, type CandidateInput } from '@gradvy/personalize';
import { PersonalizerProvider, usePersonalizer, useRerank, useConsent } from '@gradvy/personalize/react';

interface Course extends CandidateInput { id: string; title: string; embedding: number[] }

export async function main(courses: Course[]): Promise<string[]> {
  const p: Personalizer = await createPersonalizer({
    endpoint: '/gradvy',
    userId: 'learner-1',
    getToken: async ({ forceRefresh }) => (forceRefresh ? 'fresh' : 'cached'),
    config: { queue: { batch_size: 20, max_age_ms: 5000 } },
  });
  await p.setConsent({ analytics: true, personalization: true });
  const outcome = p.track('course_interaction', { course_id: 'py-101', action: 'enroll' });
  const queued: boolean = outcome.queued;
  const ranking: RerankResult<Course> = p.rerank(courses, { limit: 10, diversity: 0.5 });
  const titles = ranking.items.map((i) => i.candidate.title + i.reason + i.factors.map((f) => f.name).join());
  p.setPreferences({ goals: ['python'], experience_level: 'beginner', preferred_content_types: ['video'],
    difficulty_preference: 'stretch', free_only: false, weekly_minutes: 120 });
  const level: number | null = p.profile().preferences.experience_level;
  p.rerank(courses, { free_only: true });
  const off = p.on('flush', (e: FlushEvent) => console.log(e.batchId, e.outcome));
  p.on('error', (e) => { const code: PersonalizeErrorCode = e.code; console.log(code); });
  off();
  const consent: ConsentView = p.getConsent();
  p.feedback('py-101', 'thumbs_up');
  p.variant('exp', ['a', 'b']);
  const receipt = await p.forgetMe();
  console.log(queued, level, consent.granted, receipt.server, (await p.flush()).sent);
  try { p.track('x', {}); } catch (e) { if (e instanceof PersonalizeError) console.log(e.code); }
  return titles;
}

export function Hooks({ courses }: { courses: Course[] }) {
  const p = usePersonalizer();
  const { ranking } = useRerank(courses, { limit: 5 });
  const { consent, setConsent } = useConsent();
  void setConsent({ marketing: false });
  return [p, ranking?.items[0]?.candidate.title, consent?.granted, PersonalizerProvider];
}

// Misuse the typings must catch:
export async function misuse(p: Personalizer) {
  // @ts-expect-error not a feedback kind
  p.feedback('a', 'love');
  // @ts-expect-error not a purpose
  await p.setConsent({ advertising: true });
  // @ts-expect-error not an event of the map
  p.on('flushed', () => {});
  // @ts-expect-error the core's key is preferred_content_types
  p.setPreferences({ content_types: ['video'] });
}
`;

/** Type-checks files (name -> source) against dist/ as an app that installed the package; returns tsc's output. */
function typecheck(files, { jsx = false } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'gradvy-types-'));
  try {
    mkdirSync(join(dir, 'node_modules/@gradvy'), { recursive: true });
    symlinkSync(root, join(dir, 'node_modules/@gradvy/personalize'), 'dir');
    symlinkSync(join(root, 'node_modules/@types'), join(dir, 'node_modules/@types'), 'dir');
    symlinkSync(join(root, 'node_modules/react'), join(dir, 'node_modules/react'), 'dir');
    for (const [name, source] of Object.entries(files)) writeFileSync(join(dir, name), source);
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true,
        lib: ['ES2022', 'DOM'], skipLibCheck: false, types: jsx ? ['react'] : [], preserveSymlinks: false,
        ...(jsx ? { jsx: 'react-jsx' } : {}) },
      files: Object.keys(files),
    }));
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    try {
      execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', dir], { encoding: 'utf8' });
      return '';
    } catch (e) {
      return `${e.stdout}${e.stderr}`;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a consumer file type-checks against the published typings (and misuse does not)', () => {
  const output = typecheck({ 'consumer.ts': consumer });
  assert.equal(output, '', output);
});

test("the README's usage example compiles against the published typings", () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```tsx\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.ok(blocks.length >= 1, 'README has a tsx example');
  const files = Object.fromEntries(blocks.map((source, i) => [`readme_${i}.tsx`, source]));
  const output = typecheck(files, { jsx: true });
  assert.equal(output, '', output);
});
