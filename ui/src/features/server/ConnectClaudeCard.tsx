import { ErrorPanel } from '../../components/ErrorPanel';
import { CopyButton } from '../../components/CopyButton';
import { Loading } from '../../components/PageHeader';
import { useConnectInfo } from './api';
import { connectorWarning } from './oauth';

/**
 * Claude (claude.ai, Desktop and mobile) adds remote MCP servers as custom connectors: its servers connect to the
 * public URL and the user signs in with OAuth, so the URL must be https and reachable from the internet.
 */
export function ConnectClaudeCard() {
  const info = useConnectInfo();
  const data = info.data;
  const warning = data ? connectorWarning(data.url) : null;
  return (
    <section className="card stack" aria-labelledby="claude-title" data-testid="connect-claude">
      <div className="section-head">
        <h2 id="claude-title">Connect Claude</h2>
        <span className="small muted">claude.ai, Claude Desktop and mobile: a custom connector</span>
      </div>
      {info.isPending && <Loading />}
      <ErrorPanel error={info.error} />
      {data && (
        <>
          {warning && <div className="alert alert-warning" role="alert" data-testid="claude-warning">{warning}</div>}
          {data.auth_mode !== 'oauth' && (
            <div className="alert alert-warning" role="note" data-testid="claude-auth-note">
              {data.auth_mode === 'bearer'
                ? 'Claude connectors sign in with OAuth and cannot send a bearer token: choose the OAuth authentication mode in the settings above (running runtimes follow it within seconds).'
                : 'Authentication is off: anyone who reaches this URL can call it. Choose OAuth in the settings above so Claude users sign in.'}
            </div>
          )}
          <ol className="steps">
            <li>In Claude, open <strong>Settings → Connectors</strong> (on Team and Enterprise plans an owner does this in the organisation&apos;s settings).</li>
            <li>Choose <strong>Add custom connector</strong>.</li>
            <li>
              Name it <code>{data.name}</code> and paste this URL:{' '}
              <code data-testid="claude-url">{data.url}</code> <CopyButton text={data.url} what="MCP URL" />
            </li>
            <li>Leave the advanced OAuth fields empty: Claude finds the authorization server from the URL, registers itself and asks you to sign in and approve.</li>
            <li>In a chat, enable the connector from the tools menu.</li>
          </ol>
          <p className="small muted note">
            Other OAuth-capable clients (Claude Code, VS Code, Cursor, the Python SDK) use the same URL; see their tabs
            in Connect a client.
          </p>
        </>
      )}
    </section>
  );
}
