// Ready MCP client configurations for the agent endpoint, with the credential filled in.

/** One client's configuration: how to add the agent endpoint to it. */
export interface ClientConfig {
  client: string;
  label: string;
  /** The text to copy (a command or a JSON document). */
  text: string;
}

/** The server's name in client configurations. */
export const SERVER_NAME = 'quarry-admin';

/** Configurations for the common clients: a bearer header with the agent token on every request. */
export function agentClientConfigs(url: string, token: string): ClientConfig[] {
  const headers = { Authorization: `Bearer ${token}` };
  return [
    {
      client: 'claude_code',
      label: 'Claude Code',
      text: `claude mcp add --transport http ${SERVER_NAME} ${url} --header "Authorization: Bearer ${token}"`,
    },
    {
      client: 'cursor',
      label: 'Cursor / Windsurf',
      text: JSON.stringify({ mcpServers: { [SERVER_NAME]: { url, headers } } }, null, 2),
    },
    {
      client: 'vscode',
      label: 'VS Code',
      text: JSON.stringify({ servers: { [SERVER_NAME]: { type: 'http', url, headers } } }, null, 2),
    },
    {
      client: 'python',
      label: 'Python SDK',
      text: [
        'from mcp import ClientSession',
        'from mcp.client.streamable_http import streamablehttp_client',
        '',
        `async with streamablehttp_client(${JSON.stringify(url)}, headers=${JSON.stringify(headers)}) as (r, w, _):`,
        '    async with ClientSession(r, w) as session:',
        '        await session.initialize()',
        '        print([t.name for t in (await session.list_tools()).tools])',
      ].join('\n'),
    },
  ];
}
