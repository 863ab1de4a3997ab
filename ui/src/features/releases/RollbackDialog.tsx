import { useState } from 'react';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { useRedeploy } from './api';

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

/** The rollback flow of a page: `ask(n)` opens the dialog for release `n`; `dialog` is the element to render. */
export function useRollback(active: number | null | undefined) {
  const redeploy = useRedeploy();
  const [asking, setAsking] = useState<number | null>(null);
  const dialog = (
    <RollbackDialog
      number={asking}
      active={active}
      busy={redeploy.isPending}
      onCancel={() => setAsking(null)}
      onConfirm={(n) => {
        setAsking(null);
        redeploy.mutate(n);
      }}
    />
  );
  // A refusal lists what stands in the way (e.g. a tool whose columns changed); it is not a form to save again.
  const refusedLead = `Release #${redeploy.variables ?? ''} was not redeployed, nothing changed:`;
  return { redeploy, ask: setAsking, dialog, refusedLead };
}
