import { describe, expect, it } from 'vitest';
import { agentClientConfigs } from './clientConfig';
import { BUILDER, READ_ONLY, SCOPES } from './scopes';

describe('agent client configurations', () => {
  const url = 'https://quarry.example/agent/mcp';
  const token = 'qag_abc123';
  const configs = agentClientConfigs(url, token);

  it('carry the endpoint and the token as a bearer header in every client', () => {
    expect(configs.map((c) => c.client)).toEqual(['claude_code', 'cursor', 'vscode', 'python']);
    for (const c of configs) {
      expect(c.text).toContain(url);
      expect(c.text).toContain(`Bearer ${token}`);
    }
  });

  it('are valid JSON where the client reads JSON', () => {
    const cursor = JSON.parse(configs[1]!.text);
    expect(cursor.mcpServers['quarry-admin']).toEqual({ url, headers: { Authorization: `Bearer ${token}` } });
    const vscode = JSON.parse(configs[2]!.text);
    expect(vscode.servers['quarry-admin'].type).toBe('http');
  });
});

describe('scope presets', () => {
  it('name only scopes the picker lists, and read-only holds no write scope', () => {
    const all = SCOPES.map((s) => s.scope);
    for (const s of [...READ_ONLY, ...BUILDER]) expect(all).toContain(s);
    expect(READ_ONLY.some((s) => s.endsWith(':write') || s === 'deploy' || s === 'import')).toBe(false);
  });
});
