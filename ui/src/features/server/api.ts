import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap, type Schema } from '../../lib/api/client';

export type ServerConfig = Schema<'ServerConfig'>;
export type ServerSettings = Schema<'ServerSettings'>;
/** A token as listed, with its latest use seen by a runtime. */
export type TokenInfo = Schema<'TokenInfo'>;
export type CreatedToken = Schema<'CreatedToken'>;
export type ConnectInfo = Schema<'ConnectInfo'>;
export type SslStatus = Schema<'SslStatus'>;
export type CertSummary = Schema<'CertSummary'>;
export type AcmeRequest = Schema<'AcmeRequest'>;

const KEY = ['server'] as const;
const CONFIG = [...KEY, 'config'] as const;

export function useServerConfig() {
  return useQuery({ queryKey: CONFIG, queryFn: () => unwrap(api.GET('/api/v1/server/config')) });
}

/**
 * Saves the settings. The form shows the new values at once (the cached config is replaced before the server
 * answers) and goes back to the stored ones if the server refuses them.
 */
export function useSaveServerConfig() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (patch: Partial<ServerSettings>) =>
      unwrap(api.PATCH('/api/v1/server/config', { body: patch as Record<string, unknown> })),
    onMutate: async (patch) => {
      await qc.cancelQueries({ queryKey: CONFIG });
      const before = qc.getQueryData<ServerConfig>(CONFIG);
      if (before) qc.setQueryData<ServerConfig>(CONFIG, { ...before, ...patch });
      return { before };
    },
    onError: (_e, _patch, ctx) => {
      if (ctx?.before) qc.setQueryData(CONFIG, ctx.before);
    },
    onSuccess: (saved) => qc.setQueryData(CONFIG, saved),
    // Connect configs carry the name, URL and auth mode.
    onSettled: () => qc.invalidateQueries({ queryKey: KEY }),
  });
}

export function useCreateToken() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => unwrap(api.POST('/api/v1/server/tokens', { body: { name } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: CONFIG }),
  });
}

export function useRevokeToken() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/v1/server/tokens/{id}', { params: { path: { id } } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: CONFIG }),
  });
}

export function useConnectInfo() {
  return useQuery({ queryKey: [...KEY, 'connect'], queryFn: () => unwrap(api.GET('/api/v1/server/connect')) });
}

export function useRuntimeHealth() {
  return useQuery({ queryKey: [...KEY, 'health'], queryFn: () => unwrap(api.GET('/api/v1/server/health')) });
}

const SSL = [...KEY, 'ssl'] as const;

export function useSslStatus() {
  return useQuery({ queryKey: SSL, queryFn: () => unwrap(api.GET('/api/v1/server/ssl/status')) });
}

/** Runs an ACME issuance (can take a minute); the answer is the new status. */
export function useIssueCertificate() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: AcmeRequest) => unwrap(api.POST('/api/v1/server/ssl/issue', { body })),
    onSuccess: (status) => qc.setQueryData(SSL, status),
    // A failed attempt is recorded as the status's last error.
    onError: () => qc.invalidateQueries({ queryKey: SSL }),
  });
}
