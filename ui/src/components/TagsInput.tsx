/** Comma-separated tags as one text input. */
export function parseTags(text: string): string[] {
  return [...new Set(text.split(',').map((t) => t.trim()).filter(Boolean))];
}

export function TagsInput({ id, value, onChange }: { id: string; value: string; onChange: (v: string) => void }) {
  return <input id={id} placeholder="e.g. billing, reports" value={value} onChange={(e) => onChange(e.target.value)} />;
}
