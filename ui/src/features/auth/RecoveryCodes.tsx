import { useState } from 'react';

/** Recovery codes shown once, with copy and download. */
export function RecoveryCodes({ codes }: { codes: string[] }) {
  const [copied, setCopied] = useState('');
  const text = codes.join('\n') + '\n';

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied('Copied.');
    } catch {
      setCopied('Copying is not allowed here; select the codes and copy them by hand.');
    }
  };

  const download = () => {
    const url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = 'quarry-recovery-codes.txt';
    a.click();
    URL.revokeObjectURL(url);
  };

  return (
    <div className="stack">
      <p className="small">
        Each code logs you in once when your authenticator app is not at hand. They are shown only now: keep them
        somewhere safe, such as a password manager.
      </p>
      <pre className="card" aria-label="Recovery codes" data-testid="recovery-codes">{text}</pre>
      <div className="form-actions">
        <button type="button" className="btn" onClick={copy}>Copy codes</button>
        <button type="button" className="btn" onClick={download}>Download codes</button>
        {copied && <span className="small muted" role="status">{copied}</span>}
      </div>
    </div>
  );
}
