import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap, type Schema } from '../../lib/api/client';

export type PortableDocument = Schema<'PortableDocument'>;
export type ImportPlan = Schema<'ImportPlan'>;
export type PlanItem = Schema<'PlanItem'>;

/** The whole configuration as a document (no passwords, secrets or tokens). */
export function useExport() {
  return useMutation({
    mutationFn: () => unwrap(api.GET('/api/v1/export-import/export')),
  });
}

/** Plans an import (`dryRun`) or applies it; applying changes every list, so all cached data is refreshed. */
export function useImport() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ doc, dryRun }: { doc: PortableDocument; dryRun: boolean }) =>
      unwrap(api.POST('/api/v1/export-import/import', { params: { query: { dry_run: dryRun } }, body: doc })),
    onSuccess: (plan) => {
      if (plan.applied) void qc.invalidateQueries();
    },
  });
}

/** Saves `text` as a file the browser downloads. */
export function download(text: string, filename: string, type: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  URL.revokeObjectURL(url);
}
