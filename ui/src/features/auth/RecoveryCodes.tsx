import { CopyButton } from '../../components/CopyButton';

/** Recovery codes shown once, with copy and download. */
export function RecoveryCodes({ codes }: { codes: string[] }) {
  const text = codes.join('\n') + '\n';

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
        <CopyButton text={text} what="codes" />
        <button type="button" className="btn" onClick={download}>Download codes</button>
      </div>
    </div>
  );
}
