import { errorMessage } from '../../lib/api/client';
import { useTestConnection } from './api';

/** The outcome of a connection test: latency and privilege warnings, or what went wrong. */
export function TestOutcome({ test }: { test: ReturnType<typeof useTestConnection> }) {
  const r = test.data;
  if (test.error != null) return <div role="status" className="test-outcome bad">{errorMessage(test.error)}</div>;
  if (!r) return null;
  return (
    <div role="status" className={`test-outcome ${r.success ? 'ok' : 'bad'}`} title={r.message}>
      {r.success ? `✓ ${r.latency_ms} ms` : `✕ ${r.message}`}
      {r.warnings.length > 0 && (
        <ul className="test-warnings" aria-label="Privilege warnings">
          {r.warnings.map((w) => <li key={w}>⚠ {w}</li>)}
        </ul>
      )}
    </div>
  );
}

/** "Test" for one stored connection, with the outcome next to it. */
export function TestButton({ id }: { id: string }) {
  const test = useTestConnection();
  return (
    <div className="test-button">
      <button type="button" className="btn btn-small" disabled={test.isPending} onClick={() => test.mutate(id)}>
        {test.isPending ? 'Testing…' : 'Test connection'}
      </button>
      <TestOutcome test={test} />
    </div>
  );
}
