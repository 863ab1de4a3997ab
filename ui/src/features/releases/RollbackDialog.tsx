import { ConfirmDialog } from '../../components/ConfirmDialog';

interface Props {
  number: number | null;
  active: number | null | undefined;
  busy: boolean;
  onCancel: () => void;
  onConfirm: (number: number) => void;
}

/** Asks before publishing an old release again. */
export function RollbackDialog({ number, active, busy, onCancel, onConfirm }: Props) {
  return (
    <ConfirmDialog
      open={number != null}
      title={`Roll back to release #${number ?? ''}?`}
      confirmLabel={`Redeploy #${number ?? ''}`}
      busy={busy}
      onCancel={onCancel}
      onConfirm={() => number != null && onConfirm(number)}
    >
      <p>
        The content of release #{number} is published again as a new release
        {active != null ? `, replacing #${active} for every runtime` : ''}. Your tools, resources and prompts in the
        editor are not changed, so the next deploy publishes them again.
      </p>
    </ConfirmDialog>
  );
}
