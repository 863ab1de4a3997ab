import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap, type Schema } from '../../lib/api/client';
import { SESSION_KEY } from './api';

export type TwoFactorSetup = Schema<'TwoFactorSetup'>;
export type PasswordAndCode = Schema<'PasswordAndCode'>;

export const TWO_FACTOR_KEY = ['two-factor'] as const;

export function useTwoFactorStatus() {
  return useQuery({
    queryKey: TWO_FACTOR_KEY,
    queryFn: () => unwrap(api.GET('/api/v1/auth/2fa/status')),
  });
}

/** After a 2FA change: the status and `me.totp_enabled` are stale. */
function useRefresh() {
  const qc = useQueryClient();
  return () => Promise.all([qc.invalidateQueries({ queryKey: TWO_FACTOR_KEY }), qc.invalidateQueries({ queryKey: SESSION_KEY })]);
}

export function useBeginTwoFactorSetup() {
  return useMutation({ mutationFn: () => unwrap(api.POST('/api/v1/auth/2fa/setup')) });
}

export function useVerifyTwoFactorSetup() {
  const refresh = useRefresh();
  return useMutation({
    mutationFn: (code: string) => unwrap(api.POST('/api/v1/auth/2fa/verify-setup', { body: { code } })),
    onSuccess: refresh,
  });
}

export function useDisableTwoFactor() {
  const refresh = useRefresh();
  return useMutation({
    mutationFn: (body: PasswordAndCode) => unwrap(api.POST('/api/v1/auth/2fa/disable', { body })),
    onSuccess: refresh,
  });
}

export function useRegenerateRecoveryCodes() {
  const refresh = useRefresh();
  return useMutation({
    mutationFn: (body: PasswordAndCode) => unwrap(api.POST('/api/v1/auth/2fa/regenerate-recovery', { body })),
    onSuccess: refresh,
  });
}

export function useVerifyLogin() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: Schema<'VerifyLogin'>) => unwrap(api.POST('/api/v1/auth/login/verify-2fa', { body })),
    onSuccess: () => {
      qc.removeQueries({ predicate: (q) => q.queryKey[0] !== SESSION_KEY[0] });
      return qc.invalidateQueries({ queryKey: SESSION_KEY });
    },
  });
}
