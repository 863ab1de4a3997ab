import { useState, type FormEvent } from 'react';
import { ErrorPanel, problemsAt } from '../../components/ErrorPanel';
import { Field } from '../../components/Field';
import { AuthScreen } from './AuthScreen';
import { useLogin } from './api';
import { useVerifyLogin } from './twoFactorApi';

export function LoginPage() {
  const login = useLogin();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const pending = login.data?.requires_2fa ? login.data.pending_token : null;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    login.mutate({ username: username.trim(), password });
  };

  if (pending) return <SecondStep pendingToken={pending} onRestart={() => { login.reset(); setPassword(''); }} />;

  return (
    <AuthScreen title="Log in" intro="Log in with the admin account.">
      <form onSubmit={submit} className="stack">
        <ErrorPanel error={login.error} />
        <Field label="Username" htmlFor="login-username">
          <input id="login-username" autoComplete="username" required autoFocus value={username} onChange={(e) => setUsername(e.target.value)} />
        </Field>
        <Field label="Password" htmlFor="login-password">
          <input id="login-password" type="password" autoComplete="current-password" required value={password}
            onChange={(e) => setPassword(e.target.value)} />
        </Field>
        <button className="btn btn-primary" type="submit" disabled={login.isPending}>
          {login.isPending ? 'Logging in…' : 'Log in'}
        </button>
      </form>
    </AuthScreen>
  );
}

/** The second step: a code from the authenticator app, or a recovery code. */
function SecondStep({ pendingToken, onRestart }: { pendingToken: string; onRestart: () => void }) {
  const verify = useVerifyLogin();
  const [code, setCode] = useState('');
  const [isRecovery, setIsRecovery] = useState(false);
  const expired = verify.error && 'status' in verify.error && verify.error.status === 401 && /log in again/.test(verify.error.message);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    verify.mutate({ pending_token: pendingToken, code: code.trim(), is_recovery: isRecovery });
  };

  return (
    <AuthScreen
      title="Two-factor login"
      intro={isRecovery ? 'Enter one of your recovery codes. Each works once.' : 'Enter the 6-digit code your authenticator app shows.'}
    >
      <form onSubmit={submit} className="stack" aria-label="Second factor">
        <ErrorPanel error={verify.error} />
        <Field label={isRecovery ? 'Recovery code' : 'Code'} htmlFor="login-code" problems={problemsAt(verify.error, 'code')}>
          <input id="login-code" autoComplete="one-time-code" inputMode={isRecovery ? 'text' : 'numeric'} required autoFocus
            value={code} onChange={(e) => setCode(e.target.value)} />
        </Field>
        <label className="check">
          <input type="checkbox" checked={isRecovery} onChange={(e) => { setIsRecovery(e.target.checked); setCode(''); }} />{' '}
          Use a recovery code instead
        </label>
        <button className="btn btn-primary" type="submit" disabled={verify.isPending}>
          {verify.isPending ? 'Checking…' : 'Verify'}
        </button>
        <button className="btn btn-ghost" type="button" onClick={onRestart}>
          {expired ? 'Log in again' : 'Back'}
        </button>
      </form>
    </AuthScreen>
  );
}
