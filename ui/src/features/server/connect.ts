// Client configurations: names for display, filling a fresh token into the
// placeholder, and VS Code's one-click install link.
import type { ConnectInfo } from './api';

export const CLIENT_LABELS: Record<string, string> = {
  claude_code: 'Claude Code',
  cursor: 'Cursor',
  claude_desktop: 'Claude Desktop',
  vscode: 'VS Code',
  windsurf: 'Windsurf',
  python_sdk: 'Python SDK',
};

/** The config with every token placeholder replaced by `token` (unchanged without one). */
export function fillToken(config: string, placeholder: string | null | undefined, token: string | null): string {
  if (!token || !placeholder) return config;
  return config.split(placeholder).join(token);
}

/**
 * `vscode:mcp/install?<JSON>`: VS Code asks to add the server to the user's MCP servers. With bearer auth the
 * header is the token when one is known, else VS Code prompts for it (stored as a secret) on first start.
 */
export function vscodeInstallUrl(info: ConnectInfo, token: string | null): string {
  const server: Record<string, unknown> = { name: info.name, type: 'http', url: info.url };
  if (info.auth_mode === 'bearer') {
    if (token) {
      server.headers = { Authorization: `Bearer ${token}` };
    } else {
      server.headers = { Authorization: 'Bearer ${input:quarry-token}' };
      server.inputs = [{ type: 'promptString', id: 'quarry-token', description: 'Quarry MCP token', password: true }];
    }
  }
  return `vscode:mcp/install?${encodeURIComponent(JSON.stringify(server))}`;
}
