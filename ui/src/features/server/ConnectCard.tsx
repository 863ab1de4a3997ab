import { useId, useState, type KeyboardEvent } from 'react';
import { ErrorPanel } from '../../components/ErrorPanel';
import { Checkbox } from '../../components/Field';
import { Loading } from '../../components/PageHeader';
import { useConnectInfo, type CreatedToken } from './api';
import { CLIENT_LABELS, fillToken, vscodeInstallUrl } from './connect';
import { CopyButton } from '../../components/CopyButton';

/** Ready configurations for MCP clients, one tab per client, with the token filled in on request. */
export function ConnectCard({ created }: { created: CreatedToken | null }) {
  const info = useConnectInfo();
  const id = useId();
  const [selected, setSelected] = useState('claude_code');
  const [fill, setFill] = useState(true);

  const data = info.data;
  const bearer = data?.auth_mode === 'bearer';
  const token = bearer && created && fill ? created.token : null;
  const clients = data?.clients ?? [];
  const current = clients.find((c) => c.client === selected) ?? clients[0];

  const onKey = (e: KeyboardEvent) => {
    const i = clients.findIndex((c) => c.client === current?.client);
    const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    if (!step || i < 0) return;
    e.preventDefault();
    const next = clients[(i + step + clients.length) % clients.length]?.client;
    if (!next) return;
    setSelected(next);
    document.getElementById(`${id}-tab-${next}`)?.focus();
  };

  return (
    <section className="card stack" aria-labelledby="connect-title">
      <div className="section-head">
        <h2 id="connect-title">Connect a client</h2>
        {data && <span className="small muted">Endpoint: <code data-testid="mcp-url">{data.url}</code></span>}
      </div>
      {info.isPending && <Loading />}
      <ErrorPanel error={info.error} />
      {data && (
        <>
          {data.auth_mode === 'oauth' && (
            <p className="note small">
              Authentication is OAuth: no token goes into these configurations. Each client discovers the sign-in from
              the server and asks you to approve it on first use.
            </p>
          )}
          {bearer && (
            <div className="note small">
              {created ? (
                <Checkbox label={`Fill in the token “${created.name}” I just created`} checked={fill} onChange={setFill}
                  hint="It stays on this page only; reload and it is gone." />
              ) : (
                <p className="note">
                  Authentication is on: replace <code>{data.token_placeholder}</code> with one of your MCP tokens (create one
                  above to have it filled in here).
                </p>
              )}
            </div>
          )}
          <div role="tablist" aria-label="MCP clients" className="tabs" onKeyDown={onKey}>
            {clients.map((c) => (
              <button key={c.client} type="button" role="tab" id={`${id}-tab-${c.client}`}
                aria-selected={c.client === current?.client} aria-controls={`${id}-panel`}
                tabIndex={c.client === current?.client ? 0 : -1}
                className={`tab${c.client === current?.client ? ' active' : ''}`} onClick={() => setSelected(c.client)}>
                {CLIENT_LABELS[c.client] ?? c.client}
              </button>
            ))}
          </div>
          {current && (
            <div role="tabpanel" id={`${id}-panel`} aria-labelledby={`${id}-tab-${current.client}`} className="stack">
              <p className="small note">
                {current.format === 'shell'
                  ? 'Run this in a terminal:'
                  : current.format === 'python'
                    ? <>Save as <code>{current.target}</code> and run it; it opens the browser to sign in:</>
                    : <>Merge this into <code>{current.target}</code>:</>}
              </p>
              <pre className="preview config" data-testid="client-config" tabIndex={0}
                aria-label={`${CLIENT_LABELS[current.client] ?? current.client} configuration`}>
                {fillToken(current.config, data.token_placeholder, token)}
              </pre>
              <div className="form-actions">
                <CopyButton text={fillToken(current.config, data.token_placeholder, token)}
                  what={`${CLIENT_LABELS[current.client] ?? current.client} configuration`} />
                {current.client === 'vscode' && (
                  <a className="btn btn-small" href={vscodeInstallUrl(data, token)}>Install in VS Code</a>
                )}
              </div>
              {current.client === 'vscode' && (
                <p className="small muted note">
                  The install link opens VS Code and asks before adding the server
                  {bearer && !token ? '; it prompts for the token on first start' : ''}.
                </p>
              )}
            </div>
          )}
        </>
      )}
    </section>
  );
}
