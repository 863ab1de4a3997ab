import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap, type Schema } from '../../lib/api/client';

export type Scope = Schema<'Scope'>;
export type AgentToken = Schema<'AgentToken'>;
export type CreatedAgentToken = Schema<'CreatedAgentToken'>;
export type NewAgentToken = Schema<'NewAgentToken'>;
export type ActivityEntry = Schema<'ActivityEntry'>;
export type OAuthClient = Schema<'OAuthClient'>;
export type CreatedOAuthClient = Schema<'CreatedOAuthClient'>;
export type NewOAuthClient = Schema<'NewOAuthClient'>;

const KEY = ['agent'] as const;
const TOKENS = [...KEY, 'tokens'] as const;
const CLIENTS = [...KEY, 'oauth-clients'] as const;

/** The agent endpoint as its RFC 9728 metadata names it (the public URL, right behind a proxy too). */
export function useAgentEndpoint() {
  return useQuery({
    queryKey: [...KEY, 'endpoint'],
    queryFn: async () => {
      const res = await fetch('/.well-known/oauth-protected-resource/agent/mcp', { credentials: 'same-origin' });
      if (!res.ok) throw new Error(`The agent endpoint's metadata answered ${res.status}.`);
      const body = (await res.json()) as { resource: string; authorization_servers?: string[] };
      return body;
    },
    staleTime: Infinity,
  });
}

export function useAgentTokens() {
  return useQuery({ queryKey: TOKENS, queryFn: () => unwrap(api.GET('/api/v1/agent-tokens')) });
}

export function useCreateAgentToken() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: NewAgentToken) => unwrap(api.POST('/api/v1/agent-tokens', { body })),
    onSuccess: () => qc.invalidateQueries({ queryKey: TOKENS }),
  });
}

export function useRevokeAgentToken() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/v1/agent-tokens/{id}', { params: { path: { id } } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: KEY }),
  });
}

/** The authorization server's RFC 8414 metadata (token endpoint and the like, at their public URLs). */
export function useAuthorizationServer() {
  return useQuery({
    queryKey: [...KEY, 'authorization-server'],
    queryFn: async () => {
      const res = await fetch('/.well-known/oauth-authorization-server', { credentials: 'same-origin' });
      if (!res.ok) throw new Error(`The authorization server's metadata answered ${res.status}.`);
      return (await res.json()) as { issuer: string; token_endpoint: string };
    },
    staleTime: Infinity,
  });
}

export function useOAuthClients() {
  return useQuery({ queryKey: CLIENTS, queryFn: () => unwrap(api.GET('/api/v1/oauth-clients')) });
}

export function useCreateOAuthClient() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: NewOAuthClient) => unwrap(api.POST('/api/v1/oauth-clients', { body })),
    onSuccess: () => qc.invalidateQueries({ queryKey: CLIENTS }),
  });
}

export function useRevokeOAuthClient() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/v1/oauth-clients/{id}', { params: { path: { id } } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: KEY }),
  });
}

/** The activity filters the page offers. */
export interface ActivityFilters {
  token: string;
  tool: string;
  outcome: string;
}

export const NO_FILTERS: ActivityFilters = { token: '', tool: '', outcome: '' };

/** How often the activity refreshes while the page is open. */
const REFRESH = 10_000;

export function useAgentActivity(f: ActivityFilters, skip: number, limit: number) {
  return useQuery({
    queryKey: [...KEY, 'activity', f, skip, limit],
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/agent-activity', {
          params: {
            query: { skip, limit, token: f.token || undefined, tool: f.tool || undefined, outcome: f.outcome || undefined },
          },
        }),
      ),
    refetchInterval: REFRESH,
    placeholderData: (prev) => prev,
  });
}
