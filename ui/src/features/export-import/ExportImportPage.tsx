import { useId, useState, type ChangeEvent } from 'react';
import { ErrorPanel } from '../../components/ErrorPanel';
import { Loading, PageHeader } from '../../components/PageHeader';
import { download, useExport, useImport, type ImportPlan, type PortableDocument } from './api';
import { PlanTable } from './PlanTable';
import './export-import.css';

/** Export the configuration as a file; import one: see the plan first, then apply it all at once. */
export function ExportImportPage() {
  const fileId = useId();
  const exporter = useExport();
  const importer = useImport();
  const [doc, setDoc] = useState<PortableDocument | null>(null);
  const [fileName, setFileName] = useState('');
  const [readError, setReadError] = useState<string | null>(null);
  const [plan, setPlan] = useState<ImportPlan | null>(null);
  const [confirming, setConfirming] = useState(false);

  const exportJson = () =>
    exporter.mutate(undefined, {
      onSuccess: (d) => download(`${JSON.stringify(d, null, 2)}\n`, 'quarry-config.json', 'application/json'),
    });

  const onFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    setPlan(null);
    setDoc(null);
    setReadError(null);
    setConfirming(false);
    importer.reset();
    if (!file) return;
    setFileName(file.name);
    let parsed: PortableDocument;
    try {
      parsed = JSON.parse(await file.text()) as PortableDocument;
    } catch (err) {
      setReadError(`${file.name} is not JSON: ${err instanceof Error ? err.message : String(err)}. YAML files are applied with \`quarry apply\`.`);
      return;
    }
    setDoc(parsed);
    importer.mutate({ doc: parsed, dryRun: true }, { onSuccess: setPlan });
  };

  const apply = () => {
    if (!doc) return;
    setConfirming(false);
    importer.mutate({ doc, dryRun: false }, { onSuccess: setPlan });
  };

  const changes = plan ? plan.summary.create + plan.summary.update + plan.summary.delete : 0;
  const blocked = !plan || plan.applied || plan.summary.conflict > 0 || changes === 0;

  return (
    <>
      <PageHeader title="Export / import"
        subtitle="The configuration as one versioned document: connections (without passwords), tools, resources, prompts and server settings. No tokens or secrets." />

      <section className="card io-section" aria-labelledby="export-title">
        <h2 id="export-title">Export</h2>
        <p className="muted small">
          A JSON file for backups or another Quarry. For config as code, <code>quarry export</code> writes the same
          document as YAML and <code>quarry apply</code> applies it from CI.
        </p>
        <div className="io-row">
          <button type="button" className="btn btn-primary" onClick={exportJson} disabled={exporter.isPending}>
            {exporter.isPending ? 'Exporting…' : 'Download JSON'}
          </button>
        </div>
        <ErrorPanel error={exporter.error} />
      </section>

      <section className="card io-section" aria-labelledby="import-title">
        <h2 id="import-title">Import</h2>
        <p className="muted small">
          Entities are matched by name. You see what would change before anything does; applying is all or nothing.
          Connections without a password in the file keep their stored one, new ones get none.
        </p>
        <div className="io-row">
          <label htmlFor={fileId} className="strong">Document file (JSON)</label>
          <input id={fileId} type="file" accept=".json,application/json" onChange={(e) => void onFile(e)} />
        </div>
      </section>

      {readError && <div className="alert alert-error" role="alert"><strong>{readError}</strong></div>}
      <ErrorPanel error={importer.error} />
      {importer.isPending && <Loading what={plan ? 'Applying' : 'Planning'} />}

      {plan && (
        <section aria-labelledby="plan-title">
          <div className="section-head">
            <h2 id="plan-title">{plan.applied ? `Applied ${fileName}` : `Plan for ${fileName}`}</h2>
          </div>
          {plan.applied && (
            <div className="alert alert-success" role="status">
              The import was applied: {plan.summary.create} created, {plan.summary.update} updated, {plan.summary.delete} deleted.
              Deploy to publish the changes.
            </div>
          )}
          {!plan.applied && plan.summary.conflict > 0 && (
            <div className="alert alert-error" role="alert">
              <strong>Resolve the highlighted conflicts in the file and upload it again; nothing can be applied while one remains.</strong>
            </div>
          )}
          <PlanTable plan={plan} />
          {!plan.applied && (
            <div className="form-actions">
              {!confirming ? (
                <button type="button" className="btn btn-primary" disabled={blocked || importer.isPending} onClick={() => setConfirming(true)}>
                  {plan.summary.conflict > 0
                    ? 'Cannot apply: conflicts'
                    : changes === 0 ? 'Nothing to apply' : `Apply ${changes} change${changes === 1 ? '' : 's'}`}
                </button>
              ) : (
                <span className="confirm" role="group" aria-label="Confirm import">
                  <span>Apply {changes} change{changes === 1 ? '' : 's'} now?</span>{' '}
                  <button type="button" className="btn btn-primary" onClick={apply} autoFocus>Yes, apply</button>
                  <button type="button" className="btn btn-ghost" onClick={() => setConfirming(false)}>Cancel</button>
                </span>
              )}
            </div>
          )}
        </section>
      )}
    </>
  );
}
