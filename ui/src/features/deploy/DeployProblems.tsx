import { Link } from 'react-router';
import type { Problem } from '../../lib/api/client';
import { useEntityIds } from './entityIds';
import { listPath, problemTarget, SERVER_SETTINGS_PATH, type ProblemTarget } from './problemLinks';

const LABEL: Record<ProblemTarget['kind'], string> = {
  tool: 'Tool',
  connection: 'Connection',
  resource: 'Resource',
  prompt: 'Prompt',
  server: 'Server settings',
};

interface Group {
  key: string;
  target: ProblemTarget | null;
  problems: Problem[];
}

function group(problems: Problem[]): Group[] {
  const groups = new Map<string, Group>();
  for (const p of problems) {
    const target = problemTarget(p.path);
    const key = target ? `${target.kind}:${target.name}` : 'other';
    const g = groups.get(key) ?? { key, target, problems: [] };
    g.problems.push(p);
    groups.set(key, g);
  }
  return [...groups.values()];
}

/** Why a deploy was refused: the problems grouped by the entity they name, each with a link to fix it. */
export function DeployProblems({ problems }: { problems: Problem[] }) {
  const groups = group(problems);
  const kinds = groups.flatMap((g) => (g.target && g.target.kind !== 'server' ? [g.target.kind] : []));
  const ids = useEntityIds(kinds);
  const fixLink = (t: ProblemTarget) => {
    if (t.kind === 'server') return { to: SERVER_SETTINGS_PATH, text: 'Open server settings' };
    const id = ids.data?.get(`${t.kind}:${t.name}`);
    if (id) return { to: `/${t.kind}s/${id}`, text: `Edit ${t.kind} ${t.name}` };
    return { to: listPath(t.kind), text: ids.isLoading ? `Finding ${t.name}…` : `Find ${t.name} in the ${t.kind} list` };
  };
  return (
    <div className="alert alert-error deploy-problems" role="alert">
      <strong>
        Nothing was deployed: {problems.length} problem{problems.length === 1 ? '' : 's'} to fix first.
      </strong>
      <ul className="problem-groups">
        {groups.map((g) => {
          const link = g.target ? fixLink(g.target) : null;
          return (
            <li key={g.key} className="problem-group" data-entity={g.key}>
              <div className="problem-entity">
                {g.target ? (
                  <>
                    <span className="badge">{LABEL[g.target.kind]}</span> {g.target.name && <code>{g.target.name}</code>}
                  </>
                ) : (
                  <span className="badge">Other</span>
                )}
                {link && (
                  <Link className="btn btn-small" to={link.to}>
                    {link.text}
                  </Link>
                )}
              </div>
              <ul className="problems">
                {g.problems.map((p, i) => (
                  <li key={i}>
                    {p.path && <code>{p.path}</code>} {p.message}
                  </li>
                ))}
              </ul>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
