import { errorMessage } from '../../lib/api/client';
import { useTestConnection } from './api';

/** "Test" for one stored connection, with the outcome and latency next to it. */
export function TestButton({ id }: { id: string }) {
  const test = useTestConnection();
  const r = test.data;
  return (
    <span className="test-result">
      <button type="button" className="btn btn-small btn-ghost" disabled={test.isPending} onClick={() => test.mutate(id)}>
        {test.isPending ? 'Testing…' : 'Test'}
      </button>
      {r && (
        <span role="status" className={`small ${r.success ? 'ok' : 'bad'}`} title={r.message}>
          {r.success ? `✓ ${r.latency_ms} ms` : `✕ ${r.message}`}
        </span>
      )}
      {test.error != null && <span role="status" className="small bad">{errorMessage(test.error)}</span>}
    </span>
  );
}
