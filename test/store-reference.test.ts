// The reference filter of listTasks (store/types.ts TaskFilter), on memory, SQLite and (when
// installed) PostgreSQL: a filter without a reference leaves out no task, whatever reference it
// carries (the message box lists its messages so: each carries the CorrelationID it answers). Its
// own file, as store-edges explains: a new file keeps `npm run mutate` incremental.
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../src/runtime/store/index.js';
import { storeKinds } from './support/store-kinds.js';

const { kinds, stop } = await storeKinds('reference');
afterAll(stop);

const T0 = 1_700_000_000_000;
const task = (id: string, now: number, reference?: string) => ({
  id,
  kind: 'box',
  operation: 'Callback',
  request: { body: { id } },
  ...(reference === undefined ? {} : { reference }),
  now,
  expiresAt: T0 + 86_400_000,
});

describe.each(kinds)('%s store', (_kind, enabled, open) => {
  let store: Store;
  beforeEach(async () => {
    if (!enabled) return;
    store = await open();
    return () => store.close();
  });

  it.skipIf(!enabled)('lists the tasks with a reference and without one when the filter names none, and by reference only its tasks', async () => {
    await store.createTask(task('ref-1', T0 + 1, 'corr-1'));
    await store.createTask(task('ref-2', T0 + 2, 'corr-2'));
    await store.createTask(task('none', T0 + 3));
    expect((await store.listTasks()).map((t) => [t.id, t.reference])).toEqual([
      ['none', undefined],
      ['ref-2', 'corr-2'],
      ['ref-1', 'corr-1'],
    ]);
    expect((await store.listTasks({ kind: 'box', states: ['pending'] })).map((t) => t.id)).toEqual(['none', 'ref-2', 'ref-1']);
    expect((await store.listTasks({ reference: 'corr-2' })).map((t) => t.id)).toEqual(['ref-2']);
    expect(await store.purgeTasks({ states: ['pending'] }, T0 + 10)).toBe(3);
  });
});
