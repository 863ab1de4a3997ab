import { useState } from 'react';
import { ErrorPanel } from '../../components/ErrorPanel';
import { Loading, PageHeader } from '../../components/PageHeader';
import { useServerConfig, type CreatedToken } from './api';
import { ConnectCard } from './ConnectCard';
import { ConnectClaudeCard } from './ConnectClaudeCard';
import { HealthCard } from './HealthCard';
import { SettingsForm } from './SettingsForm';
import { TlsCard } from './TlsCard';
import { TokensCard } from './TokensCard';
import './server.css';

/** The MCP server as a whole: its settings, tokens, how clients connect, HTTPS and the runtime's health. */
export function ServerPage() {
  const config = useServerConfig();
  // The token just created is held here (never stored) so Connect can fill it in.
  const [created, setCreated] = useState<CreatedToken | null>(null);
  return (
    <>
      <PageHeader title="Server"
        subtitle={config.data ? <>MCP endpoint <code>{config.data.mcp_url}</code>. Settings and tokens take effect with the next deploy.</> : undefined} />
      <div className="server-page">
        <HealthCard />
        {config.isPending && <Loading />}
        <ErrorPanel error={config.error} />
        {config.data && (
          <>
            <SettingsForm config={config.data} />
            <TokensCard tokens={config.data.tokens} created={created} onCreated={setCreated} />
          </>
        )}
        <ConnectCard created={created} />
        <ConnectClaudeCard />
        <TlsCard />
      </div>
    </>
  );
}
