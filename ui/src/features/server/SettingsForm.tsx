import { useState, type FormEvent } from 'react';
import { ErrorPanel, problemsAt } from '../../components/ErrorPanel';
import { Checkbox, Field } from '../../components/Field';
import { ApiError } from '../../lib/api/client';
import { useSaveServerConfig, type ServerConfig, type ServerSettings } from './api';
import { ListEditor } from './ListEditor';
import { fromForm, toForm, type OAuthForm } from './oauth';
import { OAuthFields } from './OAuthFields';
import { fromRows, toRows, type VarRow } from './variables';
import { VariablesEditor } from './VariablesEditor';

const LIMITS = [
  { key: 'max_rows', label: 'Max rows', hint: 'Rows per result (1–100000).' },
  { key: 'max_bytes', label: 'Max bytes', hint: 'Bytes of JSON per result (1024–16777216).' },
  { key: 'timeout_seconds', label: 'Timeout (seconds)', hint: 'Statement time (1–3600).' },
] as const;
type LimitKey = (typeof LIMITS)[number]['key'];

const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;

const EXACT_NUMERICS = [
  { value: 'string_when_unsafe', label: 'Numbers; strings only where a double would lose digits' },
  { value: 'string', label: 'Always strings (64-bit integers and decimals)' },
] as const;

function limitText(config: ServerConfig, key: LimitKey): string {
  const v = (config.default_limits as Record<string, unknown> | undefined)?.[key];
  return typeof v === 'number' ? String(v) : '';
}

/** The editable settings; saved as one PATCH, effective with the next deploy. */
export function SettingsForm({ config }: { config: ServerConfig }) {
  const save = useSaveServerConfig();
  const [name, setName] = useState(config.server_name ?? '');
  const [instructions, setInstructions] = useState(config.instructions ?? '');
  const [publicUrl, setPublicUrl] = useState(config.public_url ?? '');
  const [authMode, setAuthMode] = useState(config.auth_mode ?? 'bearer');
  const [oauth, setOauth] = useState<OAuthForm>(() => toForm(config.oauth));
  const [allowOpen, setAllowOpen] = useState(config.allow_unauthenticated_network_access ?? false);
  const [hosts, setHosts] = useState<string[]>(config.allowed_hosts ?? []);
  const [origins, setOrigins] = useState<string[]>(config.allowed_origins ?? []);
  const [limits, setLimits] = useState<Record<LimitKey, string>>({
    max_rows: limitText(config, 'max_rows'),
    max_bytes: limitText(config, 'max_bytes'),
    timeout_seconds: limitText(config, 'timeout_seconds'),
  });
  const [logLevel, setLogLevel] = useState(config.log_level ?? 'info');
  const [exposeDbErrors, setExposeDbErrors] = useState(config.expose_db_errors ?? false);
  const [exactNumerics, setExactNumerics] = useState(config.exact_numerics ?? 'string_when_unsafe');
  const [requestLog, setRequestLog] = useState(config.request_log ?? true);
  const [vars, setVars] = useState<VarRow[]>(() => toRows(config.global_variables));
  const [localProblems, setLocalProblems] = useState<Map<string, string>>(new Map());
  const [saved, setSaved] = useState(false);

  // Any edit clears the "saved" note; it is about the values on screen.
  const edit = <T,>(set: (v: T) => void) => (v: T) => {
    setSaved(false);
    set(v);
  };

  /** The values to send, and what the browser itself finds wrong with them (keyed by the server's paths). */
  const check = () => {
    const problems = new Map<string, string>();
    const { vars: globalVariables, problems: varIssues } = fromRows(vars);
    for (const [key, message] of varIssues) problems.set(key < 0 ? 'global_variables' : `var:${key}`, message);
    const defaultLimits: Record<string, number> = {};
    for (const { key } of LIMITS) {
      const text = limits[key].trim();
      if (!/^-?\d+$/.test(text)) problems.set(`default_limits.${key}`, 'must be a whole number');
      else defaultLimits[key] = Number(text);
    }
    const { oauth: oauthBody, problems: oauthIssues } = fromForm(oauth);
    for (const [path, message] of oauthIssues) problems.set(path, message);
    return { problems, globalVariables, defaultLimits, oauthBody };
  };

  const err = save.error;
  // A problem found at the last submit is shown while it still holds: fixing a field (or undoing the edit that
  // caused it, such as a changed introspection endpoint) clears its message without another submit.
  const current = localProblems.size > 0 ? check().problems : localProblems;
  const local = (path: string) => (localProblems.has(path) && current.has(path) ? [current.get(path)!] : []);
  const at = (path: string) => [...local(path), ...problemsAt(err, path)];
  const exactly = (path: string) => (err instanceof ApiError ? err.problems.filter((p) => p.path === path).map((p) => p.message) : []);
  const varProblems = (row: VarRow) => [...local(`var:${row.key}`), ...exactly(`global_variables.${row.name.trim()}`)];

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const { problems, globalVariables, defaultLimits, oauthBody } = check();
    setLocalProblems(problems);
    if (problems.size > 0) return;
    const patch: Partial<ServerSettings> = {
      server_name: name,
      instructions: instructions.trim() ? instructions : null,
      public_url: publicUrl.trim() ? publicUrl.trim() : null,
      auth_mode: authMode,
      oauth: oauthBody,
      allow_unauthenticated_network_access: allowOpen,
      allowed_hosts: hosts.map((h) => h.trim()).filter(Boolean),
      allowed_origins: origins.map((o) => o.trim()).filter(Boolean),
      default_limits: defaultLimits,
      log_level: logLevel,
      expose_db_errors: exposeDbErrors,
      exact_numerics: exactNumerics,
      request_log: requestLog,
      global_variables: globalVariables,
    };
    setSaved(true); // optimistic: taken back if the server refuses
    save.mutate(patch, {
      onError: () => setSaved(false),
      // The secret typed is sent once; the field shows "stored" from the answer on, for the endpoint just saved.
      onSuccess: (cfg) => {
        const i = cfg.oauth?.introspection;
        setOauth((o) => ({
          ...o,
          client_secret: '',
          client_secret_set: i?.client_secret_set ?? false,
          stored_endpoint: i?.endpoint ?? '',
          stored_client_id: i?.client_id ?? '',
        }));
      },
    });
  };

  return (
    <form className="card form" onSubmit={submit} aria-labelledby="settings-title" noValidate>
      <div className="section-head">
        <h2 id="settings-title">Settings</h2>
        <span className="small muted">Changes take effect with the next deploy.</span>
      </div>
      <ErrorPanel error={err} />

      <fieldset className="section">
        <legend>MCP server</legend>
        <div className="grid-2">
          <Field label="Server name" htmlFor="srv-name" problems={at('server_name')}
            hint="Reported to MCP clients when they connect (1–255 characters).">
            <input id="srv-name" value={name} onChange={(e) => edit(setName)(e.target.value)} />
          </Field>
          <Field label="Public URL" htmlFor="srv-url" problems={at('public_url')}
            hint={<>Where clients reach the runtime; <code>/mcp</code> is appended. Empty: the runtime&apos;s own address ({config.runtime_bind}).</>}>
            <input id="srv-url" type="url" placeholder="https://mcp.example.com" value={publicUrl}
              onChange={(e) => edit(setPublicUrl)(e.target.value)} />
          </Field>
        </div>
        <Field label="Instructions" htmlFor="srv-instructions" problems={at('instructions')}
          hint="Sent to clients when they connect: tells the model how to use this server (at most 10000 bytes).">
          <textarea id="srv-instructions" rows={4} value={instructions} onChange={(e) => edit(setInstructions)(e.target.value)} />
        </Field>
      </fieldset>

      <fieldset className="section">
        <legend>Access</legend>
        <div className="field">
          <span className="field-label" id="auth-mode-label">Authentication</span>
          <div className="segmented" role="radiogroup" aria-labelledby="auth-mode-label">
            <label><input type="radio" name="auth_mode" value="none" checked={authMode === 'none'}
              onChange={() => edit(setAuthMode)('none')} /> None (anyone who can reach it)</label>
            <label><input type="radio" name="auth_mode" value="bearer" checked={authMode === 'bearer'}
              onChange={() => edit(setAuthMode)('bearer')} /> Bearer token</label>
            <label><input type="radio" name="auth_mode" value="oauth" checked={authMode === 'oauth'}
              onChange={() => edit(setAuthMode)('oauth')} /> OAuth (MCP authorization)</label>
          </div>
          {authMode === 'oauth' && (
            <div className="hint">
              Clients sign in and send OAuth access tokens issued for <code>{publicUrl.trim() ? `${publicUrl.trim().replace(/\/+$/, '')}/mcp` : config.mcp_url}</code>
              {' '}(needs an https public URL unless it is loopback). Applied to running runtimes within seconds.
            </div>
          )}
          {authMode === 'bearer' && config.tokens.length === 0 && (
            <div className="hint">No MCP token yet: the next deploy creates one and shows it once (or create one below).</div>
          )}
          {authMode === 'none' && (
            <label className="check">
              <input type="checkbox" checked={allowOpen} onChange={(e) => edit(setAllowOpen)(e.target.checked)} />{' '}
              Allow unauthenticated access from the network (needed when the runtime listens beyond loopback)
            </label>
          )}
          {at('auth_mode').map((p, i) => <div key={i} className="field-problem">{p}</div>)}
        </div>
        {authMode === 'oauth' && <OAuthFields value={oauth} onChange={edit(setOauth)} at={at} exactly={exactly} />}
        <div className="grid-2">
          <div className="field">
            <span className="field-label">Allowed hosts</span>
            <span className="hint">Host header values the runtime accepts (at most 20). Empty: loopback names only; <code>*</code>: any.</span>
            <ListEditor label="Allowed hosts" item="host" values={hosts} onChange={edit(setHosts)} max={20}
              placeholder="mcp.example.com" problemsFor={(i) => at(`allowed_hosts[${i}]`)} />
            {exactly('allowed_hosts').map((p, i) => <div key={i} className="field-problem">{p}</div>)}
          </div>
          <div className="field">
            <span className="field-label">Allowed origins</span>
            <span className="hint">Browser origins allowed to call <code>/mcp</code> (at most 20). Empty: any.</span>
            <ListEditor label="Allowed origins" item="origin" values={origins} onChange={edit(setOrigins)} max={20}
              placeholder="https://app.example.com" problemsFor={(i) => at(`allowed_origins[${i}]`)} />
            {exactly('allowed_origins').map((p, i) => <div key={i} className="field-problem">{p}</div>)}
          </div>
        </div>
      </fieldset>

      <fieldset className="section">
        <legend>Default limits</legend>
        <p className="small muted note">Every tool and SQL resource gets these unless it sets its own.</p>
        <div className="grid-4 limits">
          {LIMITS.map((l) => (
            <Field key={l.key} label={l.label} htmlFor={`srv-${l.key}`} hint={l.hint} problems={at(`default_limits.${l.key}`)}>
              <input id={`srv-${l.key}`} inputMode="numeric" value={limits[l.key]}
                onChange={(e) => edit(setLimits)({ ...limits, [l.key]: e.target.value })} />
            </Field>
          ))}
        </div>
      </fieldset>

      <fieldset className="section">
        <legend>Runtime</legend>
        <div className="grid-2">
          <Field label="Log level" htmlFor="srv-log" problems={at('log_level')} hint="Applied when the runtime starts.">
            <select id="srv-log" value={logLevel} onChange={(e) => edit(setLogLevel)(e.target.value as (typeof LOG_LEVELS)[number])}>
              {LOG_LEVELS.map((l) => <option key={l} value={l}>{l}</option>)}
            </select>
          </Field>
          <div className="field">
            <span className="field-label">Database errors</span>
            <Checkbox label="Show database error details to MCP clients" checked={exposeDbErrors} onChange={edit(setExposeDbErrors)} />
            <span className="hint">Off: clients get a generic message and an error id to look up in the logs.</span>
          </div>
          <Field
            label="Exact numbers"
            htmlFor="srv-numerics"
            problems={at('exact_numerics')}
            hint="How bigint and numeric/decimal values reach clients that read JSON numbers as doubles."
          >
            <select
              id="srv-numerics"
              value={exactNumerics}
              onChange={(e) => edit(setExactNumerics)(e.target.value as (typeof EXACT_NUMERICS)[number]['value'])}
            >
              {EXACT_NUMERICS.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
            </select>
          </Field>
          <div className="field">
            <span className="field-label">Request log</span>
            <Checkbox label="Keep a request log of every MCP call" checked={requestLog} onChange={edit(setRequestLog)} />
            <span className="hint">Arguments of parameters marked sensitive are redacted. Applied with the next deploy.</span>
          </div>
        </div>
      </fieldset>

      <fieldset className="section">
        <legend>Global variables</legend>
        <p className="small muted note">
          Every transform template sees them as <code>vars.&lt;name&gt;</code> (at most 100; names are letters, digits
          and <code>_</code>). Previews use them as soon as they are saved.
        </p>
        <VariablesEditor rows={vars} onChange={edit(setVars)} problemsFor={varProblems} />
        {[...local('global_variables'), ...exactly('global_variables')]
          .map((p, i) => <div key={i} className="field-problem">{p}</div>)}
      </fieldset>

      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={save.isPending}>
          {save.isPending ? 'Saving…' : 'Save settings'}
        </button>
        {saved && (
          <span className="small saved-note" role="status">
            Saved. Changes take effect with the next deploy.
          </span>
        )}
        {[...localProblems.keys()].some((k) => current.has(k)) && <span className="field-problem" role="alert">Fix the highlighted fields and save again.</span>}
      </div>
    </form>
  );
}
