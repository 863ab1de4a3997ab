import { useState, type FormEvent } from 'react';
import { ErrorPanel, problemsAt } from '../../components/ErrorPanel';
import { Field } from '../../components/Field';
import { PageHeader } from '../../components/PageHeader';
import { TwoFactorCard } from './TwoFactorCard';
import { useUpdateMe, type Me } from './api';

/** Change the admin's username and/or password (both need the current password), and two-factor login. */
export function AccountPage({ me }: { me: Me }) {
  const update = useUpdateMe();
  const [username, setUsername] = useState(me.username);
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [current, setCurrent] = useState('');
  const [saved, setSaved] = useState('');
  const mismatch = password !== confirm;
  const changes = username.trim() !== me.username || password !== '';

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (mismatch || !changes) return;
    setSaved('');
    update.mutate(
      {
        current_password: current,
        new_username: username.trim() !== me.username ? username.trim() : null,
        new_password: password || null,
      },
      {
        onSuccess: () => {
          setSaved(password ? 'Saved. Your other sessions were logged out.' : 'Saved.');
          setPassword('');
          setConfirm('');
          setCurrent('');
        },
      },
    );
  };

  return (
    <>
      <PageHeader title="Account" subtitle={<>Logged in as <strong>{me.username}</strong>.</>} />
      <form onSubmit={submit} className="card form narrow">
        <ErrorPanel error={update.error} />
        {saved && <div className="alert alert-success" role="status">{saved}</div>}
        <Field label="Username" htmlFor="acc-username" problems={problemsAt(update.error, 'new_username')}>
          <input id="acc-username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} />
        </Field>
        <Field label="New password" htmlFor="acc-password" hint="Leave empty to keep the current one. At least 8 characters."
          problems={problemsAt(update.error, 'new_password')}>
          <input id="acc-password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        </Field>
        <Field label="Confirm new password" htmlFor="acc-confirm" problems={mismatch && confirm ? ['The passwords differ.'] : []}>
          <input id="acc-confirm" type="password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} />
        </Field>
        <Field label="Current password" htmlFor="acc-current" hint="Required for any change." problems={problemsAt(update.error, 'current_password')}>
          <input id="acc-current" type="password" autoComplete="current-password" required value={current}
            onChange={(e) => setCurrent(e.target.value)} />
        </Field>
        <div className="form-actions">
          <button className="btn btn-primary" type="submit" disabled={update.isPending || mismatch || !changes}>
            {update.isPending ? 'Saving…' : 'Save changes'}
          </button>
        </div>
      </form>
      <TwoFactorCard />
    </>
  );
}
