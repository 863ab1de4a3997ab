import { describe, expect, it } from 'vitest';
import { connectorWarning, emptyIssuer, fromForm, secretRequired, toForm } from './oauth';

describe('OAuth settings form', () => {
  it('round-trips the stored settings and sends the secret only when one is typed', () => {
    const stored = {
      issuers: [{ issuer: 'https://idp.example.com', jwks_uri: 'https://idp.example.com/jwks', algorithms: ['RS256'], audiences: ['api'] }],
      trust_quarry: false,
      default_scope: 'mcp:tools',
      leeway_seconds: 30,
      introspection: { endpoint: 'https://idp.example.com/introspect', client_id: 'rs', client_secret_set: true, cache_seconds: 10 },
    };
    const form = toForm(stored);
    expect(form.client_secret_set).toBe(true);
    const { oauth, problems } = fromForm(form);
    expect(problems.size).toBe(0);
    expect(oauth.issuers).toEqual(stored.issuers);
    expect(oauth.introspection).toEqual({ endpoint: 'https://idp.example.com/introspect', client_id: 'rs', cache_seconds: 10 });
    expect(fromForm({ ...form, client_secret: 's3cret' }).oauth.introspection).toMatchObject({ client_secret: 's3cret' });
    expect(fromForm({ ...form, introspection: false }).oauth.introspection).toBeNull();
  });

  it('asks for the secret again when the endpoint or client id of a stored secret is edited', () => {
    const form = toForm({
      issuers: [],
      introspection: { endpoint: 'https://idp.example.com/introspect', client_id: 'rs', client_secret_set: true, cache_seconds: 10 },
    });
    expect(secretRequired(form)).toBeNull();
    const moved = { ...form, endpoint: 'https://other.example.net/introspect' };
    expect(secretRequired(moved)).toMatch(/endpoint changed: enter the client secret again/);
    expect(secretRequired({ ...form, client_id: 'other' })).toMatch(/client id changed/);
    expect([...fromForm(moved).problems.keys()]).toEqual(['oauth.introspection.client_secret']);
    expect(fromForm({ ...moved, client_secret: 'new' }).problems.size).toBe(0);
    // Nothing stored yet: nothing to retype.
    expect(secretRequired({ ...moved, client_secret_set: false })).toBeNull();
  });

  it('defaults to trusting Quarry, and reports numbers that are not whole under the server paths', () => {
    const form = toForm(undefined);
    expect(form.trust_quarry).toBe(true);
    expect(form.default_scope).toBe('mcp:tools');
    const { problems } = fromForm({ ...form, issuers: [emptyIssuer()], leeway_seconds: '1.5' });
    expect([...problems.keys()]).toEqual(['oauth.leeway_seconds']);
  });

  it('warns when Claude could not reach the MCP URL', () => {
    expect(connectorWarning('https://mcp.example.com/mcp')).toBeNull();
    expect(connectorWarning('http://mcp.example.com/mcp')).toMatch(/not https/);
    expect(connectorWarning('https://127.0.0.1:8080/mcp')).toMatch(/loopback/);
    expect(connectorWarning('http://localhost:8080/mcp')).toMatch(/loopback/);
    expect(connectorWarning('https://192.168.1.5/mcp')).toMatch(/private/);
  });
});
