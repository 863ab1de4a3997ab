// The CodeMirror 6 editor behind <SqlEditor>; loaded on demand (its own chunk).
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { HighlightStyle, LanguageSupport, bracketMatching, syntaxHighlighting } from '@codemirror/language';
import { MySQL, PostgreSQL, SQLite, keywordCompletionSource, type SQLDialect } from '@codemirror/lang-sql';
import type { CompletionContext } from '@codemirror/autocomplete';
import { Compartment, EditorState, Prec } from '@codemirror/state';
import { EditorView, drawSelection, highlightActiveLine, keymap, lineNumbers, placeholder } from '@codemirror/view';
import { tags as t } from '@lezer/highlight';
import { useEffect, useRef } from 'react';
import type { Dialect } from '../../lib/placeholders';
import { schemaCompletion } from './completion';
import { placeholderHighlight } from './placeholderHighlight';
import type { EditorProps } from './SqlEditor';

// Token colours for our dark theme (CodeMirror's default style is made for light backgrounds).
const highlight = HighlightStyle.define([
  { tag: t.keyword, color: 'var(--syn-keyword)' },
  { tag: [t.string, t.special(t.string)], color: 'var(--syn-string)' },
  { tag: [t.number, t.bool, t.null], color: 'var(--syn-number)' },
  { tag: [t.comment, t.lineComment, t.blockComment], color: 'var(--syn-comment)', fontStyle: 'italic' },
  { tag: [t.typeName, t.standard(t.name)], color: 'var(--syn-type)' },
  { tag: [t.operator, t.punctuation], color: 'var(--syn-operator)' },
]);

const DIALECTS: Record<Dialect, SQLDialect> = { postgresql: PostgreSQL, mysql: MySQL, sqlite: SQLite };

function language(dialect: Dialect, props: { current: EditorProps }) {
  const d = DIALECTS[dialect];
  const complete = schemaCompletion({ tables: () => props.current.tables, columns: (t) => props.current.fetchColumns(t) });
  // The dialect's keywords, but not after `table.` (only columns go there) nor in a `:name`.
  const keywords = keywordCompletionSource(d, true);
  const keywordsHere = (ctx: CompletionContext) => (ctx.matchBefore(/[.:][\w$]*$/) ? null : keywords(ctx));
  const data = [d.language.data.of({ autocomplete: complete }), d.language.data.of({ autocomplete: keywordsHere })];
  return [new LanguageSupport(d.language, data), placeholderHighlight(dialect)];
}

export default function CodeEditor(props: EditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const latest = useRef(props);
  latest.current = props;
  const lang = useRef(new Compartment());

  useEffect(() => {
    const run = (what: 'onRun' | 'onSave') => () => {
      latest.current[what]?.();
      return true;
    };
    const v = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: latest.current.value,
        extensions: [
          Prec.highest(keymap.of([{ key: 'Mod-Enter', run: run('onRun') }, { key: 'Mod-s', run: run('onSave') }])),
          lineNumbers(), EditorView.lineWrapping, history(), drawSelection(), highlightActiveLine(), bracketMatching(), closeBrackets(),
          autocompletion({ activateOnTyping: true, icons: false }),
          syntaxHighlighting(highlight),
          keymap.of([...closeBracketsKeymap, ...completionKeymap, ...defaultKeymap, ...historyKeymap, indentWithTab]),
          lang.current.of(language(latest.current.dialect, latest)),
          placeholder(latest.current.placeholder ?? ''),
          EditorView.contentAttributes.of({ id: latest.current.id, 'aria-label': latest.current.label, 'aria-multiline': 'true' }),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) latest.current.onChange(u.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = v;
    if (latest.current.handle) {
      latest.current.handle.current = {
        insert: (text) => {
          v.dispatch(v.state.replaceSelection(text), { scrollIntoView: true });
          v.focus();
        },
        focus: () => v.focus(),
      };
    }
    return () => v.destroy();
  }, []);

  // A new connection may bring a new dialect.
  useEffect(() => {
    view.current?.dispatch({ effects: lang.current.reconfigure(language(props.dialect, latest)) });
  }, [props.dialect]);

  // Outside changes (a reload) replace the text; our own edits are already in it.
  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== props.value) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: props.value } });
  }, [props.value]);

  return <div ref={host} className="code-editor" data-dialect={props.dialect} />;
}
