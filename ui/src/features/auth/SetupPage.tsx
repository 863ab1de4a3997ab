import { useState, type FormEvent } from 'react';
import { ErrorPanel, problemsAt } from '../../components/ErrorPanel';
import { Field } from '../../components/Field';
import { AuthScreen } from './AuthScreen';
import { useSetup } from './api';

/** First run: create the admin account (with the one-time token from the log when Quarry listens beyond loopback). */
export function SetupPage({ tokenRequired }: { tokenRequired: boolean }) {
  const setup = useSetup();
  const [setupToken, setSetupToken] = useState('');
  const [username, setUsername] = useState('admin');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const mismatch = confirm !== '' && confirm !== password;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (mismatch) return;
    setup.mutate({ username: username.trim(), password, ...(tokenRequired ? { setup_token: setupToken.trim() } : {}) });
  };

  return (
    <AuthScreen title="Create the admin account" intro="Welcome! Quarry has no admin yet. Choose the name and password you will log in with.">
      <form onSubmit={submit} className="stack">
        <ErrorPanel error={setup.error} />
        {tokenRequired && (
          <Field label="Setup token" htmlFor="setup-token" problems={problemsAt(setup.error, 'setup_token')}
            hint="Quarry listens on the network, so it printed a one-time setup token in its log at start (look for setup_token).">
            <input id="setup-token" autoComplete="off" required value={setupToken} onChange={(e) => setSetupToken(e.target.value)} />
          </Field>
        )}
        <Field label="Username" htmlFor="setup-username" problems={problemsAt(setup.error, 'username')}>
          <input id="setup-username" autoComplete="username" required value={username} onChange={(e) => setUsername(e.target.value)} />
        </Field>
        <Field label="Password" htmlFor="setup-password" hint="At least 8 characters." problems={problemsAt(setup.error, 'password')}>
          <input id="setup-password" type="password" autoComplete="new-password" required minLength={8} value={password}
            onChange={(e) => setPassword(e.target.value)} />
        </Field>
        <Field label="Confirm password" htmlFor="setup-confirm" problems={mismatch ? ['The passwords differ.'] : []}>
          <input id="setup-confirm" type="password" autoComplete="new-password" required value={confirm}
            onChange={(e) => setConfirm(e.target.value)} />
        </Field>
        <button className="btn btn-primary" type="submit" disabled={setup.isPending || mismatch}>
          {setup.isPending ? 'Creating…' : 'Create admin'}
        </button>
      </form>
    </AuthScreen>
  );
}
