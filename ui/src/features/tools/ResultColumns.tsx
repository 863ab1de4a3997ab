import type { Tool } from './api';

type Column = NonNullable<Tool['result_columns']>[number];

const nullability = (c: Column) => (c.nullable === false ? 'no' : c.nullable === true ? 'yes' : 'unknown');

/**
 * The saved tool's result columns, as the database described its SQL: what MCP clients receive as the tool's
 * `outputSchema`. Read-only: they are described again whenever the SQL, connection or parameters change.
 */
export function ResultColumns({ tool, edited }: { tool: Tool; edited: boolean }) {
  const columns = tool.result_columns ?? [];
  return (
    <section className="section" aria-labelledby="result-columns-title">
      <h2 id="result-columns-title">Result columns</h2>
      <p className="muted small">
        Described by the database when the tool was saved, without running it; clients get them as the tool's output
        schema. The deploy describes the SQL again and refuses it if a column changed since.
        {edited && ' Save to describe the edited SQL.'}
      </p>
      {columns.length === 0 ? (
        <p className="muted" role="status">
          Not described yet: the database could not be reached when the tool was saved. The next deploy describes it.
        </p>
      ) : (
        <div className="table-card">
          <table className="table" aria-label="Result columns">
            <thead>
              <tr><th scope="col">Column</th><th scope="col">Database type</th><th scope="col">Can be NULL</th></tr>
            </thead>
            <tbody>
              {columns.map((c) => (
                <tr key={c.name}>
                  <td><code>{c.name}</code></td>
                  <td><code>{c.sql_type || 'any (typed by the bound value)'}</code></td>
                  <td>{nullability(c)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
