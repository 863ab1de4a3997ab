import { useState, type FormEvent } from 'react';
import { ErrorPanel } from '../../components/ErrorPanel';
import { Field } from '../../components/Field';
import { AuthScreen } from './AuthScreen';
import { useLogin } from './api';

export function LoginPage() {
  const login = useLogin();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');

  const submit = (e: FormEvent) => {
    e.preventDefault();
    login.mutate({ username: username.trim(), password });
  };

  return (
    <AuthScreen title="Log in" intro="Log in with the admin account.">
      <form onSubmit={submit} className="stack">
        <ErrorPanel error={login.error} />
        {login.data?.requires_2fa && (
          <div className="alert alert-error">This account needs a second factor, which this UI does not support yet.</div>
        )}
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
