import { describe, expect, it } from 'vitest';
import { fieldChanges } from './fields';

describe('fieldChanges', () => {
  it('lists only the fields that changed, flattened, with SQL as text', () => {
    const before = { name: 't', sql: 'SELECT 1', limits: { max_rows: 10 }, source: { sql: 'a', connection: 'c' } };
    const after = { name: 't', sql: 'SELECT 2', limits: { max_rows: 20 }, source: { sql: 'a', connection: 'd' } };
    expect(fieldChanges(before, after)).toEqual([
      { path: 'sql', before: 'SELECT 1', after: 'SELECT 2', text: true },
      { path: 'limits.max_rows', before: 10, after: 20, text: false },
      { path: 'source.connection', before: 'c', after: 'd', text: false },
    ]);
  });

  it('lists every set field of an added entity', () => {
    expect(fieldChanges(null, { name: 't', title: null, text: 'x' }).map((f) => f.path)).toEqual(['name', 'text']);
  });
});
