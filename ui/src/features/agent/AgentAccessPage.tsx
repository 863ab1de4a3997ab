import { ErrorPanel } from '../../components/ErrorPanel';
import { PageHeader } from '../../components/PageHeader';
import { ActivityCard } from './ActivityCard';
import { AgentTokensCard } from './AgentTokensCard';
import { useAgentEndpoint } from './api';
import { OAuthClientsCard } from './OAuthClientsCard';
import './agent.css';

/** AI agents managing this Quarry over MCP: their credentials and what they did. */
export function AgentAccessPage() {
  const endpoint = useAgentEndpoint();
  return (
    <>
      <PageHeader title="Agent access"
        subtitle={endpoint.data
          ? <>Agents manage Quarry through the MCP endpoint <code data-testid="agent-endpoint">{endpoint.data.resource}</code>, with the scopes you give them.</>
          : 'Agents manage Quarry over MCP with the scopes you give them.'} />
      <div className="agent-page">
        <ErrorPanel error={endpoint.error} />
        <AgentTokensCard />
        <OAuthClientsCard />
        <ActivityCard />
      </div>
    </>
  );
}
