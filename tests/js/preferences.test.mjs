// Declared preferences through the package: every field the typings declare is
// one the core accepts, profile() reports them back, and they steer rerank().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { distDir } from './helpers.mjs';

const { createPersonalizer, PersonalizeError } = await import(pathToFileURL(join(distDir, 'index.js')).href);

const candidates = [
  { id: 'py-101', topics: ['python'], difficulty: 1, rating: 4.6, rating_count: 900, free: true, content_type: 'video', duration_minutes: 120, embedding: [1, 0, 0, 0] },
  { id: 'py-201', topics: ['python'], difficulty: 2, rating: 4.5, rating_count: 400, free: false, content_type: 'project', duration_minutes: 600, embedding: [0.9, 0.1, 0, 0] },
  { id: 'sql-101', topics: ['sql'], difficulty: 1, rating: 4.8, rating_count: 5000, free: true, content_type: 'article', duration_minutes: 60, embedding: [0, 1, 0, 0] },
  { id: 'ux-101', topics: ['ux-design'], difficulty: 1, rating: 4.9, rating_count: 8000, free: false, content_type: 'video', duration_minutes: 90, embedding: [0, 0, 1, 0] },
];

test('every declared preference field is accepted by the core and reported by profile()', async () => {
  const p = await createPersonalizer({ storage: 'memory', autoFlush: false });
  try {
    p.setPreferences({
      goals: ['python'],
      experience_level: 'intermediate',
      preferred_content_types: ['project'],
      difficulty_preference: 'challenge',
      free_only: false,
      weekly_minutes: 300,
    });
    assert.deepEqual(p.profile().preferences, {
      goals: ['python'],
      experience_level: 2,
      preferred_content_types: ['project'],
      difficulty_preference: 'challenge',
      free_only: false,
      weekly_minutes: 300,
    });
  } finally {
    await p.destroy();
  }
});

test('an unknown preference key is refused with a PersonalizeError naming it, and nothing changes', async () => {
  const p = await createPersonalizer({ storage: 'memory', autoFlush: false });
  try {
    p.setPreferences({ goals: ['sql'] });
    assert.throws(() => p.setPreferences({ content_types: ['video'] }), (e) => {
      assert.ok(e instanceof PersonalizeError);
      assert.match(e.message, /content_types/);
      return true;
    });
    assert.deepEqual(p.profile().preferences.goals, ['sql']);
  } finally {
    await p.destroy();
  }
});

test('goals and free_only steer the ranking, and every item says why', async () => {
  const p = await createPersonalizer({ storage: 'memory', autoFlush: false });
  try {
    p.setPreferences({ goals: ['python'] });
    const byGoal = p.rerank(candidates, { diversity: 0 });
    assert.equal(byGoal.source, 'fallback');
    assert.deepEqual(byGoal.items.slice(0, 2).map((i) => i.id).sort(), ['py-101', 'py-201']);
    for (const item of byGoal.items) assert.ok(item.reason.length > 0, `${item.id} has a reason`);

    const freeOnly = p.rerank(candidates, { diversity: 0, free_only: true });
    assert.deepEqual(freeOnly.items.map((i) => i.id).sort(), ['py-101', 'sql-101']);
  } finally {
    await p.destroy();
  }
});
