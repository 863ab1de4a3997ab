import { describe, expect, it } from 'vitest';
import { detectPlaceholders, scanPlaceholders, uriTemplateParams } from './placeholders';

describe('detectPlaceholders', () => {
  it('finds each placeholder once, in order of appearance', () => {
    expect(detectPlaceholders('SELECT * FROM t WHERE a = :a AND b IN (:b, :a)')).toEqual(['a', 'b']);
    expect(detectPlaceholders('SELECT * FROM users WHERE id = :id')).toEqual(['id']);
  });

  it('ignores casts, strings, quoted identifiers, dollar quotes and comments', () => {
    const sql = `SELECT x::int, ':no', "col:no", E'it\\'s :no', $$ :no $$, $f$ :no $f$ -- :no
      /* :no /* nested :no */ :no */ FROM t WHERE y = :yes::text AND arr[1:2] = arr[lo:hi]`;
    expect(detectPlaceholders(sql, 'postgresql')).toEqual(['yes']);
  });

  it('knows MySQL backslash escapes, double-quoted strings, backticks and # comments', () => {
    const sql = "SELECT 'it\\'s :no', \"also :no\", `c:no` # :no\n FROM t WHERE a = :yes AND b = 1--1";
    expect(detectPlaceholders(sql, 'mysql')).toEqual(['yes']);
  });

  it('treats $1 as a positional parameter, not a dollar quote', () => {
    expect(detectPlaceholders('SELECT $1, :a, $2', 'postgresql')).toEqual(['a']);
  });

  it('survives unterminated constructs', () => {
    expect(detectPlaceholders("SELECT :a, 'abc :b")).toEqual(['a']);
    expect(detectPlaceholders('SELECT :a /* :b')).toEqual(['a']);
  });

  it('does not take a time literal or a keyed colon for a placeholder', () => {
    expect(detectPlaceholders("SELECT '10:30', a:b FROM t")).toEqual([]);
  });
});

describe('uriTemplateParams', () => {
  it('lists the variables of a URI template', () => {
    expect(uriTemplateParams('users://{id}/orders/{status}/{id}')).toEqual(['id', 'status']);
    expect(uriTemplateParams('reports://daily')).toEqual([]);
  });
});

describe('scanPlaceholders', () => {
  it('gives each occurrence with its range, skipping casts, strings and comments', () => {
    const sql = "SELECT ':no', x::int -- :nope\nFROM t WHERE a = :a AND b = :a";
    const found = scanPlaceholders(sql);
    expect(found.map((p) => p.name)).toEqual(['a', 'a']);
    expect(found.map((p) => sql.slice(p.from, p.to))).toEqual([':a', ':a']);
  });
});
