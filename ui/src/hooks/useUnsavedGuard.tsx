import { useEffect, useRef, type ReactNode } from 'react';
import { useBlocker } from 'react-router';

/**
 * Asks before leaving a form with unsaved edits: in-app navigation shows a
 * dialog (react-router's blocker), closing or reloading the tab the browser's
 * own prompt. `release()` lets the next navigation through (after a save).
 */
export function useUnsavedGuard(dirty: boolean): { dialog: ReactNode; release: () => void } {
  const released = useRef(false);
  const blocker = useBlocker(({ currentLocation, nextLocation }) =>
    dirty && !released.current && currentLocation.pathname !== nextLocation.pathname);

  useEffect(() => {
    if (!dirty) return;
    const warn = (e: BeforeUnloadEvent) => {
      if (released.current) return;
      e.preventDefault();
      e.returnValue = '';
    };
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [dirty]);

  const dialog = blocker.state === 'blocked' && (
    <div className="modal-backdrop">
      <div className="modal card" role="alertdialog" aria-modal="true" aria-labelledby="unsaved-title" aria-describedby="unsaved-text">
        <h2 id="unsaved-title">Leave without saving?</h2>
        <p id="unsaved-text" className="muted">You have unsaved changes. They will be lost if you leave this page.</p>
        <div className="form-actions">
          <button type="button" className="btn btn-primary" autoFocus onClick={() => blocker.reset()}>Stay on this page</button>
          <button type="button" className="btn btn-danger" onClick={() => blocker.proceed()}>Leave and discard changes</button>
        </div>
      </div>
    </div>
  );
  return { dialog, release: () => { released.current = true; } };
}
