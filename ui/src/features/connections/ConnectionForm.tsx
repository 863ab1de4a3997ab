import { useState, type FormEvent } from 'react';
import { FormActions, FormShell, useSaveFlow } from '../../components/EntityForm';
import { Checkbox, Field } from '../../components/Field';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import type { Schema } from '../../lib/api/client';
import { connections, type Connection, type ConnectionInput, type ConnectionPatch } from './api';

type SslMode = Schema<'SslMode'>;
const DB_TYPES = [
  { value: 'postgresql', label: 'PostgreSQL', port: 5432 },
  { value: 'mysql', label: 'MySQL / MariaDB', port: 3306 },
  { value: 'sqlite', label: 'SQLite', port: 0 },
] as const;
const SSL_MODES: SslMode[] = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full'];

interface FormState {
  name: string;
  db_type: string;
  host: string;
  port: string;
  database: string;
  username: string;
  password: string;
  removePassword: boolean;
  ssl_mode: SslMode;
  allow_cleartext_password: boolean;
  pool_min_size: string;
  pool_max_size: string;
  max_concurrent_queries: string;
  queue_timeout_seconds: string;
  queue_enabled: boolean;
  is_active: boolean;
  extra_params: string;
  allowed_functions: string;
  read_only_role: string;
}

function initial(c?: Connection): FormState {
  return {
    name: c?.name ?? '',
    db_type: c?.db_type ?? 'postgresql',
    host: c?.host ?? 'localhost',
    port: c && c.db_type !== 'sqlite' ? String(c.port) : '',
    database: c?.database ?? '',
    username: c?.username ?? '',
    password: '',
    removePassword: false,
    ssl_mode: c?.ssl_mode ?? 'prefer',
    allow_cleartext_password: c?.allow_cleartext_password ?? false,
    pool_min_size: String(c?.pool_min_size ?? 0),
    pool_max_size: String(c?.pool_max_size ?? 10),
    max_concurrent_queries: String(c?.max_concurrent_queries ?? 5),
    queue_timeout_seconds: String(c?.queue_timeout_seconds ?? 30),
    queue_enabled: c?.queue_enabled ?? true,
    is_active: c?.is_active ?? true,
    extra_params: c && Object.keys(c.extra_params).length ? JSON.stringify(c.extra_params, null, 2) : '',
    allowed_functions: (c?.allowed_functions ?? []).join(', '),
    read_only_role: c?.read_only_role ?? '',
  };
}

const int = (s: string): number | undefined => (s.trim() === '' ? undefined : Number(s));

interface Props {
  connection?: Connection;
  onReload?: () => void;
}

/** Create or edit a connection. Editing sends `version`, so a stale form is refused with 409. */
export function ConnectionForm({ connection, onReload }: Props) {
  const save = connections.useSave(connection?.id);
  const [f, setF] = useState(() => initial(connection));
  const flow = useSaveFlow({ what: 'connection', listPath: '/connections', save, state: f });
  const [localError, setLocalError] = useState('');
  // An edit that moves a connection with a stored password, waiting for the admin to confirm keeping it.
  const [moving, setMoving] = useState<(ConnectionInput & ConnectionPatch) | null>(null);
  const set = <K extends keyof FormState>(k: K, v: FormState[K]) => setF((s) => ({ ...s, [k]: v }));
  const sqlite = f.db_type === 'sqlite';
  const defaultPort = DB_TYPES.find((d) => d.value === f.db_type)?.port;
  const err = save.error;
  const at = flow.at;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setLocalError('');
    let extra: Record<string, unknown> = {};
    if (f.extra_params.trim()) {
      try {
        extra = JSON.parse(f.extra_params) as Record<string, unknown>;
        if (typeof extra !== 'object' || extra === null || Array.isArray(extra)) throw new Error();
      } catch {
        setLocalError('Extra parameters must be a JSON object, e.g. {"ssl_ca": "/path/ca.pem"}.');
        return;
      }
    }
    const body: ConnectionInput = {
      name: f.name.trim(),
      db_type: f.db_type,
      database: f.database.trim(),
      host: sqlite ? '' : f.host.trim(),
      port: sqlite ? null : (int(f.port) ?? null),
      username: sqlite ? '' : f.username.trim(),
      ssl_mode: f.ssl_mode,
      allow_cleartext_password: f.allow_cleartext_password,
      pool_min_size: int(f.pool_min_size),
      pool_max_size: int(f.pool_max_size),
      max_concurrent_queries: int(f.max_concurrent_queries),
      queue_timeout_seconds: int(f.queue_timeout_seconds),
      queue_enabled: f.queue_enabled,
      is_active: f.is_active,
      extra_params: extra,
      allowed_functions: f.db_type === 'postgresql' ? f.allowed_functions.split(/[\s,]+/).filter(Boolean) : [],
      read_only_role: f.db_type === 'postgresql' && f.read_only_role.trim() ? f.read_only_role.trim() : null,
    };
    // The password is write-only: send it when typed, null to remove it, else leave it out to keep it.
    if (f.password) body.password = f.password;
    else if (f.removePassword) body.password = null;
    // Moving a stored password to another host or port is asked about: the server refuses it without keep_password.
    const moved = connection && (body.host !== connection.host || (body.port != null && body.port !== connection.port));
    if (connection?.has_password && moved && body.password === undefined) {
      setMoving(body as ConnectionInput & ConnectionPatch);
      return;
    }
    // A create sends every field and an edit a patch; the one save takes either.
    flow.send(body as ConnectionInput & ConnectionPatch, connection?.version);
  };

  return (
    <FormShell label="Connection" onSubmit={submit} flow={flow} error={err} onReload={onReload}>
      {localError && <div className="alert alert-error" role="alert">{localError}</div>}
      <div className="grid-2">
        <Field label="Name" htmlFor="conn-name" hint="Letters, digits, _ and -; unique." problems={at('name')}>
          <input id="conn-name" required value={f.name} onChange={(e) => set('name', e.target.value)} />
        </Field>
        <Field label="Database type" htmlFor="conn-db-type" problems={at('db_type')}>
          <select id="conn-db-type" value={f.db_type} onChange={(e) => set('db_type', e.target.value)}>
            {DB_TYPES.map((d) => <option key={d.value} value={d.value}>{d.label}</option>)}
          </select>
        </Field>
      </div>

      {!sqlite && (
        <div className="grid-3">
          <Field label="Host" htmlFor="conn-host" problems={at('host')}>
            <input id="conn-host" value={f.host} onChange={(e) => set('host', e.target.value)} />
          </Field>
          <Field label="Port" htmlFor="conn-port" problems={at('port')}>
            <input id="conn-port" type="number" min={1} max={65535} placeholder={String(defaultPort)} value={f.port}
              onChange={(e) => set('port', e.target.value)} />
          </Field>
          <Field label="SSL mode" htmlFor="conn-ssl" problems={at('ssl_mode')}>
            <select id="conn-ssl" value={f.ssl_mode} onChange={(e) => set('ssl_mode', e.target.value as SslMode)}>
              {SSL_MODES.map((m) => <option key={m} value={m}>{m}</option>)}
            </select>
          </Field>
        </div>
      )}

      <Field label={sqlite ? 'Database file' : 'Database'} htmlFor="conn-database" wide problems={at('database')}
        hint={sqlite ? 'Absolute path of the SQLite file on the server, e.g. /var/lib/quarry/app.db.' : undefined}>
        <input id="conn-database" required className={sqlite ? 'mono' : undefined} value={f.database}
          onChange={(e) => set('database', e.target.value)} />
      </Field>

      {!sqlite && (
        <div className="grid-2">
          <Field label="Username" htmlFor="conn-username" problems={at('username')}>
            <input id="conn-username" autoComplete="off" value={f.username} onChange={(e) => set('username', e.target.value)} />
          </Field>
          <Field label="Password" htmlFor="conn-password" problems={at('password')}
            hint={connection?.has_password ? 'A password is stored; leave empty to keep it.' : 'Stored encrypted; never shown again.'}>
            <input id="conn-password" type="password" autoComplete="new-password"
              placeholder={connection?.has_password ? '•••••• stored' : ''} value={f.password}
              disabled={f.removePassword} onChange={(e) => set('password', e.target.value)} />
            {connection?.has_password && (
              <Checkbox label="Remove the stored password" checked={f.removePassword} onChange={(v) => set('removePassword', v)} />
            )}
          </Field>
          {f.db_type === 'postgresql' && (
            <Checkbox label="Allow a cleartext or MD5 password login without TLS" checked={f.allow_cleartext_password}
              onChange={(v) => set('allow_cleartext_password', v)}
              hint="Off: if the server asks for the password in cleartext or as MD5 over an unencrypted connection, it is not sent." />
          )}
        </div>
      )}

      <fieldset className="section">
        <legend>Pool and queue</legend>
        <div className="grid-4">
          <Field label="Pool min" htmlFor="conn-pool-min" hint="0–100" problems={at('pool_min_size')}>
            <input id="conn-pool-min" type="number" min={0} max={100} value={f.pool_min_size} onChange={(e) => set('pool_min_size', e.target.value)} />
          </Field>
          <Field label="Pool max" htmlFor="conn-pool-max" hint="1–100" problems={at('pool_max_size')}>
            <input id="conn-pool-max" type="number" min={1} max={100} value={f.pool_max_size} onChange={(e) => set('pool_max_size', e.target.value)} />
          </Field>
          <Field label="Max concurrent queries" htmlFor="conn-concurrent" hint="1–200" problems={at('max_concurrent_queries')}>
            <input id="conn-concurrent" type="number" min={1} max={200} value={f.max_concurrent_queries}
              onChange={(e) => set('max_concurrent_queries', e.target.value)} />
          </Field>
          <Field label="Queue timeout (s)" htmlFor="conn-queue-timeout" hint="1–300" problems={at('queue_timeout_seconds')}>
            <input id="conn-queue-timeout" type="number" min={1} max={300} value={f.queue_timeout_seconds}
              onChange={(e) => set('queue_timeout_seconds', e.target.value)} />
          </Field>
        </div>
        <div className="checks">
          <Checkbox label="Queue calls for a free slot" checked={f.queue_enabled} onChange={(v) => set('queue_enabled', v)}
            hint="Off: calls beyond the limit fail at once." />
          <Checkbox label="Active" checked={f.is_active} onChange={(v) => set('is_active', v)}
            hint="Inactive connections and their tools are not deployed." />
        </div>
      </fieldset>

      {f.db_type === 'postgresql' && (
        <fieldset className="section">
          <legend>Read-only policy (PostgreSQL)</legend>
          <div className="grid-2">
            <Field label="Read-only role" htmlFor="conn-ro-role" problems={at('read_only_role')}
              hint="Read-only calls run SET LOCAL ROLE to it, e.g. quarry_reader with pg_read_all_data. Empty: the login's own privileges.">
              <input id="conn-ro-role" autoComplete="off" value={f.read_only_role} onChange={(e) => set('read_only_role', e.target.value)} />
            </Field>
            <Field label="Allowed volatile functions" htmlFor="conn-allowed-fns" problems={at('allowed_functions')}
              hint="Comma-separated name or schema.name, on top of the built-in allowlist (random, clock_timestamp, gen_random_uuid, …).">
              <input id="conn-allowed-fns" className="mono" autoComplete="off" value={f.allowed_functions}
                onChange={(e) => set('allowed_functions', e.target.value)} />
            </Field>
          </div>
        </fieldset>
      )}

      <details className="section" open={f.extra_params !== ''}>
        <summary>Extra driver parameters</summary>
        <Field label="JSON object" htmlFor="conn-extra" wide problems={at('extra_params')}
          hint="E.g. {&quot;ssl_ca&quot;: &quot;/etc/ssl/ca.pem&quot;}. Keys naming a password, secret, token or key are encrypted; a masked value (••••••) keeps what is stored.">
          <textarea id="conn-extra" className="mono" rows={4} value={f.extra_params} onChange={(e) => set('extra_params', e.target.value)} />
        </Field>
      </details>

      <FormActions what="connection" editing={Boolean(connection)} pending={save.isPending} onCancel={flow.cancel} />
      <ConfirmDialog
        open={moving !== null}
        title="Send the stored password to the new address?"
        confirmLabel="Keep the stored password"
        busy={save.isPending}
        onCancel={() => setMoving(null)}
        onConfirm={() => {
          if (moving) flow.send({ ...moving, keep_password: true }, connection?.version);
          setMoving(null);
        }}
      >
        <p>
          The host or port changes. The stored password will be sent to {moving?.host}
          {moving?.port ? `:${moving.port}` : ''} from now on. If you do not trust that server, cancel and type the
          password for it instead.
        </p>
      </ConfirmDialog>
    </FormShell>
  );
}
