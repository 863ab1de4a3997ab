// Marks each `:name` placeholder with the same scanner that detects the
// parameters, so `::casts`, strings, quoted identifiers and comments stay plain.
import { RangeSetBuilder, type Extension } from '@codemirror/state';
import { Decoration, ViewPlugin, type DecorationSet, type EditorView, type ViewUpdate } from '@codemirror/view';
import { scanPlaceholders, type Dialect } from '../../lib/placeholders';

const mark = Decoration.mark({ class: 'cm-sql-placeholder' });

function build(view: EditorView, dialect: Dialect): DecorationSet {
  // Statements are small (one per tool), so the whole text is scanned: a
  // string or comment opened above the viewport still counts.
  const builder = new RangeSetBuilder<Decoration>();
  for (const p of scanPlaceholders(view.state.doc.toString(), dialect)) builder.add(p.from, p.to, mark);
  return builder.finish();
}

/** Highlights `:name` placeholders as the server's scanner sees them in `dialect`. */
export function placeholderHighlight(dialect: Dialect): Extension {
  return ViewPlugin.fromClass(
    class {
      decorations: DecorationSet;
      constructor(view: EditorView) {
        this.decorations = build(view, dialect);
      }
      update(u: ViewUpdate) {
        if (u.docChanged) this.decorations = build(u.view, dialect);
      }
    },
    { decorations: (v) => v.decorations },
  );
}
