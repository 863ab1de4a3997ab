import { describe, expect, it } from 'vitest';
import { lineDiff, type DiffLine } from './lineDiff';

const render = (lines: DiffLine[]) => lines.map((l) => `${{ same: ' ', del: '-', add: '+' }[l.op]}${l.text}`);

describe('lineDiff', () => {
  it('keeps identical texts as they are', () => {
    expect(render(lineDiff('a\nb', 'a\nb'))).toEqual([' a', ' b']);
  });

  it('shows a changed line as removed then added, with line numbers on each side', () => {
    const d = lineDiff('SELECT *\nFROM orders\nWHERE id = :id', 'SELECT id, total\nFROM orders\nWHERE id = :id');
    expect(render(d)).toEqual(['-SELECT *', '+SELECT id, total', ' FROM orders', ' WHERE id = :id']);
    expect(d[2]).toMatchObject({ oldNo: 2, newNo: 2 });
  });

  it('finds the longest common subsequence in the middle', () => {
    expect(render(lineDiff('a\nb\nc\nd\ne', 'a\nx\nc\nd\ny\ne'))).toEqual([' a', '-b', '+x', ' c', ' d', '+y', ' e']);
  });

  it('handles added and removed texts, and CRLF', () => {
    expect(render(lineDiff('', 'a\nb'))).toEqual(['+a', '+b']);
    expect(render(lineDiff('a\r\nb', ''))).toEqual(['-a', '-b']);
  });

  it('numbers the common suffix on both sides', () => {
    const d = lineDiff('a\nz', 'a\nb\nc\nz');
    expect(d.at(-1)).toEqual({ op: 'same', text: 'z', oldNo: 2, newNo: 4 });
  });
});
