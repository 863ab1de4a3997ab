/** One line of a text diff: kept, removed (only before) or added (only after). */
export interface DiffLine {
  op: 'same' | 'del' | 'add';
  text: string;
  /** 1-based line number in the old text (same, del). */
  oldNo?: number;
  /** 1-based line number in the new text (same, add). */
  newNo?: number;
}

/** Beyond this many line pairs the table would be too big: fall back to "all removed, all added". */
const MAX_CELLS = 4_000_000;

/**
 * A line-by-line diff by longest common subsequence. The common prefix and
 * suffix are trimmed first, so an edit in a long SQL statement costs only the
 * changed middle. Deletions come before additions within a changed block.
 */
export function lineDiff(before: string, after: string): DiffLine[] {
  const a = before === '' ? [] : before.split(/\r?\n/);
  const b = after === '' ? [] : after.split(/\r?\n/);
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const out: DiffLine[] = [];
  for (let i = 0; i < start; i++) out.push({ op: 'same', text: a[i] ?? '', oldNo: i + 1, newNo: i + 1 });
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  const n = midA.length;
  const m = midB.length;
  if (n * m > MAX_CELLS) {
    midA.forEach((text, i) => out.push({ op: 'del', text, oldNo: start + i + 1 }));
    midB.forEach((text, j) => out.push({ op: 'add', text, newNo: start + j + 1 }));
  } else {
    // lcs[i][j]: length of the LCS of midA[i..] and midB[j..], in one flat array.
    const w = m + 1;
    const lcs = new Uint32Array((n + 1) * w);
    const at = (i: number, j: number) => lcs[i * w + j] ?? 0;
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * w + j] = midA[i] === midB[j] ? at(i + 1, j + 1) + 1 : Math.max(at(i + 1, j), at(i, j + 1));
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && midA[i] === midB[j]) {
        out.push({ op: 'same', text: midA[i] ?? '', oldNo: start + i + 1, newNo: start + j + 1 });
        i++;
        j++;
      } else if (j >= m || (i < n && at(i + 1, j) >= at(i, j + 1))) {
        out.push({ op: 'del', text: midA[i] ?? '', oldNo: start + i + 1 });
        i++;
      } else {
        out.push({ op: 'add', text: midB[j] ?? '', newNo: start + j + 1 });
        j++;
      }
    }
  }
  const shift = b.length - a.length;
  for (let i = endA; i < a.length; i++) out.push({ op: 'same', text: a[i] ?? '', oldNo: i + 1, newNo: i + shift + 1 });
  return out;
}
