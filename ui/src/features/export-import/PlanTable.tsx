import type { ImportPlan } from './api';

const KIND: Record<string, string> = {
  server: 'Server settings',
  connection: 'Connection',
  tool: 'Tool',
  resource: 'Resource',
  prompt: 'Prompt',
};

/** One row per entity: what the import does with it and why; conflicts stand out. */
export function PlanTable({ plan }: { plan: ImportPlan }) {
  const s = plan.summary;
  return (
    <div className="card table-card">
      <p className="plan-summary" aria-live="polite">
        <span className="badge badge-ok">{s.create} to create</span>{' '}
        <span className="badge badge-warn">{s.update} to update</span>{' '}
        <span className="badge">{s.unchanged} unchanged</span>{' '}
        {s.delete > 0 && <><span className="badge badge-danger">{s.delete} to delete</span>{' '}</>}
        <span className={`badge${s.conflict > 0 ? ' badge-danger' : ''}`}>{s.conflict} in conflict</span>
      </p>
      <table className="table" aria-label="Import plan">
        <thead><tr><th>Entity</th><th>Name</th><th>Action</th><th>Reason</th></tr></thead>
        <tbody>
          {plan.items.map((i) => (
            <tr key={`${i.kind}:${i.name}`} className={i.action === 'conflict' ? 'plan-conflict' : undefined}>
              <td>{KIND[i.kind] ?? i.kind}</td>
              <td className="mono strong">{i.name}</td>
              <td><span className={`badge plan-${i.action === 'conflict' ? 'conflict-badge' : i.action}`}>{i.action}</span></td>
              <td className="small">{i.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
