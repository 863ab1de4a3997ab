import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError, api, unwrap, type Schema } from '../../lib/api/client';

export type Me = Schema<'Me'>;

/** Where the browser stands: no admin yet, not logged in, or logged in as `me`. */
export type Session = { state: 'setup'; tokenRequired: boolean } | { state: 'anonymous' } | { state: 'ready'; me: Me };

export const SESSION_KEY = ['session'] as const;

export function useSession() {
  return useQuery({
    queryKey: SESSION_KEY,
    queryFn: async (): Promise<Session> => {
      const status = await unwrap(api.GET('/api/v1/auth/status'));
      if (status.setup_required) return { state: 'setup', tokenRequired: status.setup_token_required };
      try {
        return { state: 'ready', me: await unwrap(api.GET('/api/v1/auth/me')) };
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) return { state: 'anonymous' };
        throw e;
      }
    },
    staleTime: 60_000,
  });
}

type Credentials = Schema<'Credentials'>;
type SetupRequest = Schema<'SetupRequest'>;

/** After a login or setup the whole cache belongs to the previous session: start afresh. */
function useFreshSession() {
  const qc = useQueryClient();
  return () => {
    qc.removeQueries({ predicate: (q) => q.queryKey[0] !== SESSION_KEY[0] });
    return qc.invalidateQueries({ queryKey: SESSION_KEY });
  };
}

export function useSetup() {
  const fresh = useFreshSession();
  return useMutation({
    mutationFn: (body: SetupRequest) => unwrap(api.POST('/api/v1/auth/setup', { body })),
    onSuccess: fresh,
  });
}

export function useLogin() {
  const fresh = useFreshSession();
  return useMutation({
    mutationFn: (body: Credentials) => unwrap(api.POST('/api/v1/auth/login', { body })),
    // With 2FA on there is no session yet: the login page asks for the code.
    onSuccess: (res) => (res.requires_2fa ? undefined : fresh()),
  });
}

export function useLogout() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/auth/logout')),
    onSettled: () => {
      // Update the session in place (clearing the cache would orphan the mounted session observer),
      // then drop everything the admin saw.
      const next: Session = { state: 'anonymous' };
      qc.setQueryData(SESSION_KEY, next);
      qc.removeQueries({ predicate: (q) => q.queryKey[0] !== SESSION_KEY[0] });
    },
  });
}

export function useUpdateMe() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: Schema<'UpdateMe'>) => unwrap(api.PATCH('/api/v1/auth/me', { body })),
    onSuccess: (me) => {
      const next: Session = { state: 'ready', me };
      qc.setQueryData(SESSION_KEY, next);
    },
  });
}
