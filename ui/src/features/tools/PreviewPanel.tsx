import { useMutation } from '@tanstack/react-query';
import { useState, type ReactNode, type RefObject } from 'react';
import { ErrorPanel } from '../../components/ErrorPanel';
import { api, unwrap, type Schema } from '../../lib/api/client';
import { fromRows, parseValue, type ParamRow } from '../../lib/params';

type PreviewRequest = Schema<'PreviewRequest'>;
const SHOWN_ROWS = 100;

interface Props {
  connectionId: string;
  sql: string;
  rows: ParamRow[];
  transform: string;
  /** The tool's return type and paging: they shape the output schema shown under the result. */
  returnType: string;
  pageable: boolean;
  /** Set to this panel's run, so Ctrl/Cmd+Enter in the editor can start it. */
  runRef?: RefObject<(() => void) | null>;
}

const cell = (v: unknown) => (v === null || v === undefined ? <span className="muted">null</span> : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** Runs the tool as edited (read-only, through the same engine as a deployed tool) with sample arguments. */
export function PreviewPanel({ connectionId, sql, rows, transform, returnType, pageable, runRef }: Props) {
  const [values, setValues] = useState<Record<string, string>>({});
  const [limit, setLimit] = useState('10');
  const [localError, setLocalError] = useState('');
  const [claimsText, setClaimsText] = useState('');
  const claimBound = rows.filter((r) => r.from_claim.trim());
  const run = useMutation({ mutationFn: (body: PreviewRequest) => unwrap(api.POST('/api/v1/preview/execute', { body })) });
  const r = run.data;

  const submit = () => {
    setLocalError('');
    const parameters: Record<string, unknown> = {};
    let claims: Record<string, unknown> | null = null;
    try {
      if (claimsText.trim()) {
        const parsed: unknown = JSON.parse(claimsText);
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('Run as: the claims must be a JSON object');
        claims = parsed as Record<string, unknown>;
      }
      for (const row of rows) {
        if (row.from_claim.trim()) continue; // filled from the claims, never sent
        const text = values[row.name] ?? '';
        if (text !== '') parameters[row.name] = parseValue(text, row.type);
      }
    } catch (e) {
      const message = e instanceof SyntaxError ? `Run as: the claims are not JSON (${e.message})` : e instanceof Error ? e.message : String(e);
      setLocalError(message);
      return;
    }
    const defs = fromRows(rows);
    run.mutate({
      connection_id: connectionId,
      sql_query: sql,
      parameters,
      parameter_definitions: defs.problems.length ? null : defs.params,
      limit: Number(limit) || 10,
      transform_template: transform.trim() ? transform : null,
      claims,
      return_type: returnType,
      pageable: returnType === 'rows' && pageable,
    });
  };

  if (runRef) runRef.current = () => { if (connectionId && sql.trim() && !run.isPending) submit(); };

  return (
    <section className="section preview-panel" aria-label="Preview">
      <div className="section-head">
        <h2>Preview</h2>
        <span className="muted small">Runs read-only; nothing is saved.</span>
      </div>
      <div className="preview-args">
        {rows.filter((row) => !row.from_claim.trim()).map((row) => (
          <label key={row.name} className="field">
            <span className="mono small">:{row.name} <span className="muted">({row.type})</span></span>
            <input aria-label={`Preview value for ${row.name}`} value={values[row.name] ?? ''} placeholder={row.default || (row.required ? 'required' : 'optional')}
              onChange={(e) => setValues({ ...values, [row.name]: e.target.value })} />
          </label>
        ))}
        <label className="field preview-limit">
          <span className="small">Rows</span>
          <input type="number" min={1} max={1000} value={limit} onChange={(e) => setLimit(e.target.value)} />
        </label>
        <button type="button" className="btn" disabled={!connectionId || !sql.trim() || run.isPending} onClick={submit}>
          {run.isPending ? 'Running…' : 'Run preview'}
        </button>
      </div>
      <details className="section run-as" open={claimBound.length > 0}>
        <summary>Run as (token claims)</summary>
        <label className="field">
          <span className="small">
            Claims of the caller&apos;s OAuth access token, as JSON.{' '}
            {claimBound.length > 0
              ? <>Fills {claimBound.map((r) => <code key={r.name}>:{r.name} ← {r.from_claim.trim()}</code>).reduce<ReactNode[]>((a, c, i) => (i ? [...a, ', ', c] : [c]), [])}.</>
              : 'Only parameters bound to a claim use them.'}
          </span>
          <textarea aria-label="Run as claims (JSON)" className="mono" rows={3} spellCheck={false} value={claimsText}
            placeholder='{"sub": "alice", "email": "alice@example.com", "groups": ["sales"]}'
            onChange={(e) => setClaimsText(e.target.value)} />
        </label>
      </details>
      {!connectionId && <p className="muted small note">Choose a connection to preview.</p>}
      {localError && <div className="alert alert-error" role="alert">{localError}</div>}
      <ErrorPanel error={run.error} />
      {r && (
        <>
          <p className="muted small note" role="status">
            {r.row_count} row{r.row_count === 1 ? '' : 's'} in {r.execution_time} ms{r.truncated ? ' (cut at the limit)' : ''}
            {r.rows.length > SHOWN_ROWS ? `; showing the first ${SHOWN_ROWS}` : ''}
          </p>
          {r.columns.length > 0 && (
            <div className="table-scroll">
              <table className="table compact" aria-label="Preview rows">
                <thead>
                  <tr>{r.columns.map((c) => <th key={c.name} title={c.type}>{c.name}</th>)}</tr>
                </thead>
                <tbody>
                  {r.rows.slice(0, SHOWN_ROWS).map((row, i) => (
                    <tr key={i}>{r.columns.map((c) => <td key={c.name} className="mono small">{cell(row[c.name])}</td>)}</tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {r.transform_error && <div className="alert alert-error">Transform failed: {r.transform_error}</div>}
          {transform.trim() && r.transformed_result !== undefined && r.transformed_result !== null && (
            <pre className="preview">{typeof r.transformed_result === 'string' ? r.transformed_result : JSON.stringify(r.transformed_result, null, 2)}</pre>
          )}
          <details className="section output-schema" data-testid="preview-output-schema">
            <summary>Output schema</summary>
            {r.output_schema ? (
              <>
                <p className="muted small">
                  What MCP clients get as the tool&apos;s <code>outputSchema</code> once it is saved and deployed: derived
                  from the result columns the database describes, the return type and the server&apos;s numbers setting.
                </p>
                <pre className="preview" data-testid="output-schema-json">{JSON.stringify(r.output_schema, null, 2)}</pre>
              </>
            ) : (
              <p className="muted small">The database could not describe the statement; the tool would have no output schema until it can.</p>
            )}
          </details>
        </>
      )}
    </section>
  );
}
