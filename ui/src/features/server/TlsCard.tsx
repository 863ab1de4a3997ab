import { useState, type FormEvent } from 'react';
import { ErrorPanel, problemsAt } from '../../components/ErrorPanel';
import { Field } from '../../components/Field';
import { Loading } from '../../components/PageHeader';
import { ApiError } from '../../lib/api/client';
import { useIssueCertificate, useSslStatus, type CertSummary } from './api';

const STATUS: Record<string, { label: string; badge: string }> = {
  none: { label: 'No certificate', badge: '' },
  issued: { label: 'Valid', badge: 'badge-ok' },
  expiring_soon: { label: 'Expiring soon', badge: 'badge-warn' },
  expired: { label: 'Expired', badge: 'badge-danger' },
  error: { label: 'Unreadable', badge: 'badge-danger' },
};

// A DNS name: labels of letters, digits and '-', at least one dot; `*.` for a wildcard is not possible with HTTP-01.
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

/** The domains typed in the form: separated by commas, spaces or new lines. */
export function parseDomains(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).map((d) => d.trim().toLowerCase()).filter(Boolean))];
}

function Cert({ title, cert }: { title: string; cert: CertSummary }) {
  const s = STATUS[cert.status] ?? { label: cert.status, badge: '' };
  return (
    <div className="cert">
      <h3>{title}</h3>
      <dl className="facts">
        <dt>Status</dt>
        <dd><span className={`badge ${s.badge}`} data-testid="cert-status">{s.label}</span></dd>
        <dt>Domains</dt>
        <dd>{cert.domains.length ? cert.domains.join(', ') : '—'}</dd>
        <dt>Expires</dt>
        <dd>
          {cert.not_after ? new Date(cert.not_after).toLocaleString() : '—'}
          {cert.days_remaining != null && ` (${cert.days_remaining >= 0 ? `${cert.days_remaining} days left` : 'expired'})`}
        </dd>
        <dt>File</dt>
        <dd><code>{cert.path}</code></dd>
        {cert.error && (<><dt>Error</dt><dd className="field-problem">{cert.error}</dd></>)}
      </dl>
    </div>
  );
}

/** HTTPS: the certificate served, the ACME one, and issuing a new one by HTTP-01. */
export function TlsCard() {
  const status = useSslStatus();
  const issue = useIssueCertificate();
  const [domains, setDomains] = useState('');
  const [email, setEmail] = useState('');
  const [local, setLocal] = useState<{ domains?: string; email?: string }>({});

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const list = parseDomains(domains);
    const problems: { domains?: string; email?: string } = {};
    const bad = list.find((d) => !DNS_NAME.test(d));
    if (list.length === 0) problems.domains = 'give at least one domain, such as mcp.example.com';
    else if (bad) problems.domains = `${bad} is not a DNS name such as mcp.example.com`;
    if (email.trim() && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.trim())) problems.email = 'must be an email address';
    setLocal(problems);
    if (problems.domains || problems.email) return;
    issue.mutate({ domains: list, email: email.trim() || null });
  };

  const s = status.data;
  const domainProblems = [...(local.domains ? [local.domains] : []), ...problemsAt(issue.error, 'domains')];
  return (
    <section className="card stack" aria-labelledby="tls-title">
      <div className="section-head">
        <h2 id="tls-title">HTTPS certificate</h2>
        {s && <span className={`badge ${s.https ? 'badge-ok' : ''}`}>{s.https ? 'Serving HTTPS' : 'Serving plain HTTP'}</span>}
      </div>
      {status.isPending && <Loading />}
      <ErrorPanel error={status.error} />
      {s && (
        <>
          <div className="grid-2">
            {s.serving ? <Cert title="Served certificate" cert={s.serving} /> : (
              <div className="cert">
                <h3>Served certificate</h3>
                <p className="small muted">
                  None: this control plane serves plain HTTP. Set <code>QUARRY_TLS_CERT</code> and{' '}
                  <code>QUARRY_TLS_KEY</code> to serve HTTPS.
                </p>
              </div>
            )}
            <Cert title="ACME certificate" cert={s.acme} />
          </div>
          <p className="small muted note">
            ACME server <code>{s.acme_directory}</code>; renewal starts {s.renew_before_days} days before expiry
            {s.acme_request ? ` for ${s.acme_request.domains.join(', ')}` : ''}.
          </p>
          {s.last_error && (
            <div className="alert alert-error" role="alert"><strong>The last issuance failed:</strong> {s.last_error}</div>
          )}
        </>
      )}

      <form className="form" onSubmit={submit} aria-label="Issue a certificate" noValidate>
        <h3>Issue a certificate</h3>
        <p className="small muted note">
          By ACME HTTP-01: each domain must resolve to this control plane and reach it on port 80
          (<code>/.well-known/acme-challenge/</code>). It can take a minute.
        </p>
        <div className="grid-2">
          <Field label="Domains" htmlFor="tls-domains" problems={domainProblems} hint="The first is the primary name; separate several with commas.">
            <input id="tls-domains" value={domains} placeholder="mcp.example.com" spellCheck={false}
              onChange={(e) => setDomains(e.target.value)} />
          </Field>
          <Field label="Contact email (optional)" htmlFor="tls-email" problems={[...(local.email ? [local.email] : []), ...problemsAt(issue.error, 'email')]}
            hint="For expiry notices from the certificate authority.">
            <input id="tls-email" type="email" value={email} placeholder="ops@example.com" onChange={(e) => setEmail(e.target.value)} />
          </Field>
        </div>
        {/* A refusal by the ACME server is already shown as the status's last error. */}
        {!problemsAt(issue.error, 'domains').length && !(s?.last_error && issue.error instanceof ApiError && issue.error.status === 400) && (
          <ErrorPanel error={issue.error} />
        )}
        {issue.isSuccess && <div className="alert alert-success" role="status">Certificate issued.</div>}
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={issue.isPending}>
            {issue.isPending ? 'Issuing… (up to a few minutes)' : 'Issue certificate'}
          </button>
        </div>
      </form>
    </section>
  );
}
