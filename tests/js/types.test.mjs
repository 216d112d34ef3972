// The published typings: a consumer file that uses the public API type-checks
// with tsc against dist/ (resolved through the package's exports map), and
// misuse is caught.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, symlinkSync, rmSync } from 'node:fs';
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
  const titles = ranking.items.map((i) => i.candidate.title + i.factors.map((f) => f.name).join());
  const off = p.on('flush', (e: FlushEvent) => console.log(e.batchId, e.outcome));
  p.on('error', (e) => { const code: PersonalizeErrorCode = e.code; console.log(code); });
  off();
  const consent: ConsentView = p.getConsent();
  p.feedback('py-101', 'thumbs_up');
  p.variant('exp', ['a', 'b']);
  const receipt = await p.forgetMe();
  console.log(queued, consent.granted, receipt.server, (await p.flush()).sent);
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
}
`;

test('a consumer file type-checks against the published typings (and misuse does not)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradvy-types-'));
  try {
    mkdirSync(join(dir, 'node_modules/@gradvy'), { recursive: true });
    symlinkSync(root, join(dir, 'node_modules/@gradvy/personalize'), 'dir');
    symlinkSync(join(root, 'node_modules/@types'), join(dir, 'node_modules/@types'), 'dir');
    symlinkSync(join(root, 'node_modules/react'), join(dir, 'node_modules/react'), 'dir');
    writeFileSync(join(dir, 'consumer.ts'), consumer);
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true,
        lib: ['ES2022', 'DOM'], skipLibCheck: false, types: [], preserveSymlinks: false },
      files: ['consumer.ts'],
    }));
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    let output = '';
    try {
      execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', dir], { encoding: 'utf8' });
    } catch (e) {
      output = `${e.stdout}${e.stderr}`;
    }
    assert.equal(output, '', output);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
