import type { UseMutationResult } from '@tanstack/react-query';
import { useState, type FormEvent, type ReactNode } from 'react';
import { useNavigate } from 'react-router';
import { useUnsavedGuard } from '../hooks/useUnsavedGuard';
import { ErrorPanel, problemsAt } from './ErrorPanel';
import type { FlashState } from './Flash';

interface Options<Body> {
  /** `tool`, `connection`… for the flash message. */
  what: string;
  /** The list a save (or cancel) returns to. */
  listPath: string;
  save: UseMutationResult<{ name: string }, Error, Body>;
  /** The form's state now; compared with its first value to know whether there are unsaved edits. */
  state: unknown;
}

/**
 * What every create/edit form does around its fields: knows when it has
 * unsaved edits (and guards leaving), sends the body and returns to the list
 * with a flash, and finds the server's problems for a field.
 */
export function useSaveFlow<Body>({ what, listPath, save, state }: Options<Body>) {
  const navigate = useNavigate();
  const [initial] = useState(() => JSON.stringify(state));
  const dirty = JSON.stringify(state) !== initial;
  const guard = useUnsavedGuard(dirty && !save.isSuccess);
  /** Saves `body`; an edit also sends the `version` it started from, so a stale one is refused. */
  const send = (body: Body, version?: number) =>
    save.mutate(version === undefined ? body : { ...body, version }, {
      onSuccess: (saved) => {
        guard.release();
        navigate(listPath, { state: { flash: `Saved ${what} “${saved.name}”.` } satisfies FlashState });
      },
    });
  return {
    dirty,
    send,
    /** The server's problems for one field path. */
    at: (path: string) => problemsAt(save.error, path),
    cancel: () => navigate(listPath),
    /** Render it anywhere in the form: the "leave without saving?" dialog. */
    guardDialog: guard.dialog,
  };
}

interface ActionsProps {
  what: string;
  editing: boolean;
  pending: boolean;
  onCancel: () => void;
  /** Shown beside the buttons, e.g. a keyboard hint. */
  note?: string;
}

/** Save and cancel at the foot of a form. */
export function FormActions({ what, editing, pending, onCancel, note }: ActionsProps) {
  return (
    <div className="form-actions">
      <button className="btn btn-primary" type="submit" disabled={pending}>
        {pending ? 'Saving…' : `${editing ? 'Save' : 'Create'} ${what}`}
      </button>
      <button type="button" className="btn btn-ghost" onClick={onCancel}>Cancel</button>
      {note && <span className="muted small">{note}</span>}
    </div>
  );
}

interface ShellProps {
  /** The form's accessible name: `Prompt`, `Resource`… */
  label: string;
  onSubmit: (e: FormEvent) => void;
  flow: { guardDialog: ReactNode };
  /** The last save's error, shown first; `onReload` is offered on a version conflict. */
  error: unknown;
  onReload?: () => void;
  children: ReactNode;
}

/** A card form with the unsaved-changes dialog and the save error at its top. */
export function FormShell({ label, onSubmit, flow, error, onReload, children }: ShellProps) {
  return (
    <form onSubmit={onSubmit} className="card form" aria-label={label}>
      {flow.guardDialog}
      <ErrorPanel error={error} onReload={onReload} />
      {children}
    </form>
  );
}
