import { describe, expect, it } from 'vitest';
import { emptyRow, fromRows, parseValue, syncRows, toRow } from './params';

describe('parameter rows', () => {
  it('round-trip a full definition', () => {
    const def = {
      name: 'status', type: 'string' as const, required: false, default: 'open', description: 'Order status',
      enum: ['open', 'closed'], min: 1, max: 20, pattern: '^[a-z]+$',
    };
    const { params, problems } = fromRows([toRow(def)]);
    expect(problems).toEqual([]);
    expect(params).toEqual([def]);
  });

  it('type the default, enum and bounds by the parameter type', () => {
    const row = { ...emptyRow('limit'), type: 'integer' as const, default: '10', enum: '10, 50, 100', min: '1', max: '100' };
    expect(fromRows([row]).params[0]).toMatchObject({ default: 10, enum: [10, 50, 100], min: 1, max: 100 });
    const arr = { ...emptyRow('ids'), type: 'array' as const, item_type: 'integer' as const, default: '[1,2]' };
    expect(fromRows([arr]).params[0]).toMatchObject({ item_type: 'integer', default: [1, 2] });
  });

  it('report values that do not fit, with the server-style path', () => {
    const row = { ...emptyRow('n'), type: 'integer' as const, default: 'abc', max: 'x' };
    expect(fromRows([emptyRow('ok'), row]).problems).toEqual([
      { path: 'parameters[1].default', message: '"abc" is not an integer' },
      { path: 'parameters[1].max', message: '"x" is not a number' },
    ]);
  });

  it('parse booleans and reject anything else', () => {
    expect(parseValue('true', 'boolean')).toBe(true);
    expect(() => parseValue('yes', 'boolean')).toThrow('not true or false');
  });
});

describe('syncRows', () => {
  it('keeps known rows, adds new names and drops unused ones', () => {
    const kept = { ...emptyRow('id'), type: 'integer' as const, description: 'kept' };
    const { rows, added, removed } = syncRows([kept, emptyRow('gone')], ['id', 'name']);
    expect(rows.map((r) => r.name)).toEqual(['id', 'name']);
    expect(rows[0]).toBe(kept);
    expect(added).toEqual(['name']);
    expect(removed).toEqual(['gone']);
  });
});
