import { useState, type FormEvent } from 'react';
import { ErrorPanel, problemsAt } from '../../components/ErrorPanel';
import { Field } from '../../components/Field';
import { RecoveryCodes } from './RecoveryCodes';
import {
  useBeginTwoFactorSetup,
  useDisableTwoFactor,
  useRegenerateRecoveryCodes,
  useTwoFactorStatus,
  useVerifyTwoFactorSetup,
  type TwoFactorSetup,
} from './twoFactorApi';

/** Two-factor login: the setup wizard when off; new recovery codes and turning it off when on. */
export function TwoFactorCard() {
  const status = useTwoFactorStatus();
  return (
    <section className="card form narrow" aria-labelledby="tfa-title">
      <h2 id="tfa-title">Two-factor login</h2>
      {status.isPending && <p className="loading">Loading…</p>}
      <ErrorPanel error={status.error} />
      {status.data && !status.data.enabled && <SetupWizard />}
      {status.data?.enabled && <Manage remaining={status.data.recovery_codes_remaining} />}
    </section>
  );
}

function SetupWizard() {
  const begin = useBeginTwoFactorSetup();
  const verify = useVerifyTwoFactorSetup();
  const [setup, setSetup] = useState<TwoFactorSetup | null>(null);
  const [code, setCode] = useState('');

  const start = () => begin.mutate(undefined, { onSuccess: (s) => setSetup(s) });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    verify.mutate(code.trim(), { onSuccess: () => setSetup(null) });
  };

  if (!setup) {
    return (
      <div className="stack">
        <p className="muted">
          Off. With two-factor login, signing in also needs a 6-digit code from an authenticator app on your phone, so a
          leaked password alone is not enough.
        </p>
        <ErrorPanel error={begin.error} />
        <div className="form-actions">
          <button type="button" className="btn btn-primary" onClick={start} disabled={begin.isPending}>
            {begin.isPending ? 'Preparing…' : 'Set up two-factor login'}
          </button>
        </div>
      </div>
    );
  }

  return (
    <form onSubmit={submit} className="stack" aria-label="Two-factor setup">
      <h3>1. Scan the QR code</h3>
      <p className="small">Scan it with an authenticator app (any app for TOTP codes), or type the key by hand.</p>
      <img src={setup.qr_data_uri} alt="QR code for your authenticator app" width={200} height={200} />
      <p className="small">
        Key: <code data-testid="totp-secret">{setup.secret}</code>
      </p>
      <h3>2. Save your recovery codes</h3>
      <RecoveryCodes codes={setup.recovery_codes} />
      <h3>3. Enter the code your app shows</h3>
      <ErrorPanel error={verify.error} />
      <Field label="Code from your app" htmlFor="tfa-setup-code" problems={problemsAt(verify.error, 'code')}>
        <input id="tfa-setup-code" inputMode="numeric" autoComplete="one-time-code" pattern="[0-9 ]{6,7}" required
          value={code} onChange={(e) => setCode(e.target.value)} />
      </Field>
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={verify.isPending}>
          {verify.isPending ? 'Checking…' : 'Turn on two-factor login'}
        </button>
        <button type="button" className="btn btn-ghost" onClick={() => setSetup(null)}>Cancel</button>
      </div>
    </form>
  );
}

function Manage({ remaining }: { remaining: number }) {
  const regenerate = useRegenerateRecoveryCodes();
  const disable = useDisableTwoFactor();
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [isRecovery, setIsRecovery] = useState(false);
  const [codes, setCodes] = useState<string[] | null>(null);
  const error = regenerate.error ?? disable.error;
  const busy = regenerate.isPending || disable.isPending;
  const body = () => ({ current_password: password, code: code.trim(), is_recovery: isRecovery });
  const reset = () => {
    setPassword('');
    setCode('');
  };

  const renew = (e: FormEvent) => {
    e.preventDefault();
    disable.reset();
    regenerate.mutate(body(), { onSuccess: (r) => { setCodes(r.recovery_codes); reset(); } });
  };
  const turnOff = () => {
    regenerate.reset();
    disable.mutate(body(), { onSuccess: reset });
  };

  return (
    <form onSubmit={renew} className="stack" aria-label="Manage two-factor login">
      <p>
        <span className="badge badge-ok">On</span>{' '}
        <span className="muted">{remaining} recovery code{remaining === 1 ? '' : 's'} left.</span>
      </p>
      {codes && (
        <div className="alert alert-success" role="status">
          New recovery codes; the previous ones no longer work.
          <RecoveryCodes codes={codes} />
        </div>
      )}
      <p className="small muted">New recovery codes and turning two-factor login off both need your password and a current code.</p>
      <ErrorPanel error={error} />
      <Field label="Current password" htmlFor="tfa-password" problems={problemsAt(error, 'current_password')}>
        <input id="tfa-password" type="password" autoComplete="current-password" required value={password}
          onChange={(e) => setPassword(e.target.value)} />
      </Field>
      <Field label={isRecovery ? 'Recovery code' : 'Code from your app'} htmlFor="tfa-code" problems={problemsAt(error, 'code')}>
        <input id="tfa-code" autoComplete="one-time-code" inputMode={isRecovery ? 'text' : 'numeric'} required value={code}
          onChange={(e) => setCode(e.target.value)} />
      </Field>
      <label className="check">
        <input type="checkbox" checked={isRecovery} onChange={(e) => setIsRecovery(e.target.checked)} /> Use a recovery code
      </label>
      <div className="form-actions">
        <button type="submit" className="btn" disabled={busy}>
          {regenerate.isPending ? 'Generating…' : 'New recovery codes'}
        </button>
        <button type="button" className="btn btn-danger" disabled={busy || !password || !code} onClick={turnOff}>
          {disable.isPending ? 'Turning off…' : 'Turn off two-factor login'}
        </button>
      </div>
    </form>
  );
}
