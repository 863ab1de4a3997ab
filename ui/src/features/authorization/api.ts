import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap, type Schema } from '../../lib/api/client';

export type AuthorizationServer = Schema<'AuthorizationServerView'>;
export type OAuthGrant = Schema<'OAuthGrant'>;
export type ConsentRequest = Schema<'ConsentRequest'>;
export type ClaimMapping = Schema<'ClaimMapping'>;

const KEY = ['authorization-server'] as const;
const GRANTS = [...KEY, 'grants'] as const;

/** Quarry's authorization server for MCP clients: its settings. */
export function useMcpAuthorizationServer() {
  return useQuery({ queryKey: KEY, queryFn: () => unwrap(api.GET('/api/v1/authorization-server')) });
}

export function usePatchMcpAuthorizationServer() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: Record<string, unknown>) => unwrap(api.PATCH('/api/v1/authorization-server', { body })),
    onSuccess: (fresh) => qc.setQueryData(KEY, fresh),
  });
}

export function useOAuthGrants() {
  return useQuery({ queryKey: GRANTS, queryFn: () => unwrap(api.GET('/api/v1/oauth-grants')) });
}

export function useRevokeOAuthGrant() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/v1/oauth-grants/{id}', { params: { path: { id } } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: GRANTS }),
  });
}

/** The pending authorization request the consent page shows (`signedIn` keys it to the session state). */
export function useConsent(id: string, signedIn: string) {
  return useQuery({
    queryKey: ['oauth-consent', id, signedIn],
    queryFn: () => unwrap(api.GET('/api/v1/oauth-consent/{id}', { params: { path: { id } } })),
    enabled: id !== '',
  });
}

export function useDecideConsent(id: string) {
  return useMutation({
    mutationFn: (approve: boolean) =>
      unwrap(api.POST('/api/v1/oauth-consent/{id}', { params: { path: { id } }, body: { approve } })),
    // The client's redirect URI takes over the tab.
    onSuccess: (res) => window.location.assign(res.redirect_to),
  });
}
