import { useEffect, useState } from 'react';

/** Copies `text` to the clipboard and says so next to the button (or says to copy by hand). */
export function CopyButton({ text, label = 'Copy', what }: { text: string; label?: string; what: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');

  useEffect(() => {
    if (state !== 'copied') return;
    const t = setTimeout(() => setState('idle'), 4000);
    return () => clearTimeout(t);
  }, [state]);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      setState('failed');
    }
  };

  return (
    <span className="copy">
      <button type="button" className="btn btn-small" onClick={() => void copy()} aria-label={`${label} ${what}`}>
        {state === 'copied' ? 'Copied' : label}
      </button>
      <span className="small muted" role="status">
        {state === 'copied' && `${what.charAt(0).toUpperCase()}${what.slice(1)} copied.`}
        {state === 'failed' && 'Copying is not allowed here; select the text and copy it by hand.'}
      </span>
    </span>
  );
}
