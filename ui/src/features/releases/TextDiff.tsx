import { useMemo } from 'react';
import { lineDiff } from './lineDiff';

const MARK = { same: ' ', del: '−', add: '+' } as const;
const SPOKEN = { same: '', del: 'removed: ', add: 'added: ' } as const;

/** A line-by-line diff of two texts, with line numbers on both sides. */
export function TextDiff({ before, after, label }: { before: string; after: string; label: string }) {
  const lines = useMemo(() => lineDiff(before, after), [before, after]);
  return (
    <div className="text-diff-scroll">
      <table className="text-diff" aria-label={label}>
        <tbody>
          {lines.map((l, i) => (
            <tr key={i} className={`diff-${l.op}`}>
              <td className="diff-no" aria-hidden="true">{l.oldNo ?? ''}</td>
              <td className="diff-no" aria-hidden="true">{l.newNo ?? ''}</td>
              <td className="diff-mark" aria-hidden="true">{MARK[l.op]}</td>
              <td className="diff-text">
                {SPOKEN[l.op] && <span className="sr-only">{SPOKEN[l.op]}</span>}
                {l.text || ' '}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
