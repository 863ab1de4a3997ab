// Finds `:name` placeholders in SQL, mirroring the server's scanner
// (shared-model/src/placeholders.rs): `::casts`, string literals, quoted
// identifiers, PostgreSQL dollar-quoted bodies and comments are skipped. The
// server stays the judge; this only powers "detect from SQL" in the editors.

export type Dialect = 'postgresql' | 'mysql' | 'sqlite';

const isIdentStart = (c: string | undefined) => c !== undefined && /[A-Za-z_]/.test(c);
const isIdentChar = (c: string | undefined) => c !== undefined && (/[A-Za-z0-9_]/.test(c) || c.charCodeAt(0) >= 0x80);

/** One `:name` in the text: `from` is the colon's offset, `to` the end of the name. */
export interface PlaceholderRange {
  name: string;
  from: number;
  to: number;
}

/** Distinct placeholder names in order of first appearance. Unterminated constructs end the scan quietly. */
export function detectPlaceholders(sql: string, dialect: Dialect = 'postgresql'): string[] {
  const names: string[] = [];
  for (const { name } of scanPlaceholders(sql, dialect)) if (!names.includes(name)) names.push(name);
  return names;
}

/** Every placeholder occurrence, in order (the editor highlights these). */
export function scanPlaceholders(sql: string, dialect: Dialect = 'postgresql'): PlaceholderRange[] {
  const found: PlaceholderRange[] = [];
  const s = sql;
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    const next = s[i + 1];
    if (c === '-' && next === '-' && (dialect !== 'mysql' || s[i + 2] === undefined || /\s/.test(s[i + 2] ?? ''))) {
      i = skipLine(s, i);
    } else if (c === '#' && dialect === 'mysql') {
      i = skipLine(s, i);
    } else if (c === '/' && next === '*') {
      i = skipBlockComment(s, i, dialect);
    } else if (c === "'") {
      const backslash = dialect === 'mysql' || isEscapeStringPrefix(s, i, dialect);
      i = skipQuoted(s, i, "'", backslash);
    } else if (c === '"') {
      i = skipQuoted(s, i, '"', dialect === 'mysql');
    } else if (c === '`' && dialect !== 'postgresql') {
      i = skipQuoted(s, i, '`', false);
    } else if (c === '$' && dialect === 'postgresql') {
      const tagEnd = dollarTag(s, i);
      i = tagEnd === null ? i + 1 : skipDollarBody(s, i, tagEnd);
    } else if (c === ':' && next === ':') {
      i += 2;
    } else if (c === ':' && isIdentStart(next) && !(i > 0 && isIdentChar(s[i - 1]))) {
      let end = i + 1;
      while (end < s.length && isIdentChar(s[end])) end++;
      found.push({ name: s.slice(i + 1, end), from: i, to: end });
      i = end;
    } else if (isIdentChar(c)) {
      // Whole identifiers, so `a:b` and the `E` of `SELECT` stay intact.
      while (i < s.length && isIdentChar(s[i])) i++;
    } else {
      i++;
    }
  }
  return found;
}

function skipLine(s: string, i: number): number {
  const nl = s.indexOf('\n', i);
  return nl === -1 ? s.length : nl + 1;
}

function skipBlockComment(s: string, start: number, dialect: Dialect): number {
  let depth = 0;
  let i = start;
  while (i + 1 < s.length) {
    if (s[i] === '/' && s[i + 1] === '*') {
      if (depth === 0 || dialect === 'postgresql') depth++;
      i += 2;
    } else if (s[i] === '*' && s[i + 1] === '/') {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else {
      i++;
    }
  }
  return s.length;
}

function isEscapeStringPrefix(s: string, quote: number, dialect: Dialect): boolean {
  return dialect === 'postgresql' && quote > 0 && /[eE]/.test(s[quote - 1] ?? '') && (quote < 2 || !isIdentChar(s[quote - 2]));
}

function skipQuoted(s: string, start: number, quote: string, backslash: boolean): number {
  let i = start + 1;
  while (i < s.length) {
    if (backslash && s[i] === '\\') i += 2;
    else if (s[i] === quote) {
      if (s[i + 1] === quote) i += 2;
      else return i + 1;
    } else i++;
  }
  return s.length;
}

function dollarTag(s: string, i: number): number | null {
  if (i > 0 && isIdentChar(s[i - 1])) return null;
  let j = i + 1;
  if (s[j] === '$') return j + 1;
  if (!isIdentStart(s[j])) return null; // `$1` is a positional parameter, not a tag
  while (j < s.length && isIdentChar(s[j])) j++;
  return s[j] === '$' ? j + 1 : null;
}

function skipDollarBody(s: string, start: number, tagEnd: number): number {
  const tag = s.slice(start, tagEnd);
  const close = s.indexOf(tag, tagEnd);
  return close === -1 ? s.length : close + tag.length;
}

/** The `{name}` variables of a resource URI template, in order (invalid ones are skipped). */
export function uriTemplateParams(template: string): string[] {
  const names: string[] = [];
  for (const m of template.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) {
    const name = m[1];
    if (name && !names.includes(name)) names.push(name);
  }
  return names;
}

/** The `{arg}` names of a prompt template, in order. */
export const promptTemplateArgs = uriTemplateParams;
