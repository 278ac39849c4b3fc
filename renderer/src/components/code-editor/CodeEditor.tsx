import { useEffect, useRef, useState } from 'react';
import type * as Monaco from 'monaco-editor';

type MonacoModule = typeof import('./monaco-setup.js');
let loading: Promise<MonacoModule> | null = null;
/** Monaco is large; it loads with the first editor, not with the workbench. */
function loadMonaco(): Promise<MonacoModule> {
  loading ??= import('./monaco-setup.js');
  return loading;
}

export interface EditorDiagnostic {
  severity: 'error' | 'warning' | 'info';
  message: string;
  line: number;
  column: number;
  endLine?: number;
  endColumn?: number;
}

export interface CodeEditorProps {
  /** A path-like name; the YAML schema applies to models whose name matches it. */
  path: string;
  /**
   * The text the editor starts with. The editor owns the text while the user types (echoing each
   * change back would lag behind fast typing and move the cursor); to load other text, give the
   * component a new React key.
   */
  value: string;
  onChange(value: string): void;
  /** Hover documentation and completion, answered by the engine from the format's schema. */
  help?: import('./monaco-setup.js').LanguageHelp;
  /** Problems found by the engine (semantic checks beyond the schema), shown inline. */
  diagnostics?: EditorDiagnostic[];
  height?: number;
  testId?: string;
  /** Move the cursor here and show it (a click on a problem); a new object each time, so the same place can be asked twice. */
  goTo?: { line: number; column: number } | null;
}

export function CodeEditor({ path, value, onChange, help, diagnostics, height = 420, testId, goTo }: CodeEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<Monaco.editor.IStandaloneCodeEditor | null>(null);
  const api = useRef<MonacoModule | null>(null);
  const latestChange = useRef(onChange);
  latestChange.current = onChange;
  const [failed, setFailed] = useState<string | null>(null);

  useEffect(() => {
    let disposed = false;
    let releaseHelp: (() => void) | null = null;
    loadMonaco().then((m) => {
      if (disposed || !host.current) return;
      api.current = m;
      const uri = m.monaco.Uri.parse(`inmemory://model/${path}`);
      const model = m.monaco.editor.getModel(uri) ?? m.monaco.editor.createModel(value, 'yaml', uri);
      model.setValue(value);
      editor.current = m.monaco.editor.create(host.current, {
        model, theme: 'headroom-dark', automaticLayout: true, minimap: { enabled: false }, fontSize: 13,
        scrollBeyondLastLine: false, tabSize: 2, insertSpaces: true, quickSuggestions: { other: true, strings: true, comments: false },
      });
      editor.current.onDidChangeModelContent(() => latestChange.current(model.getValue()));
      if (help) releaseHelp = m.provideLanguageHelp('yaml', model, help);
    }).catch((err: unknown) => setFailed(err instanceof Error ? err.message : String(err)));
    return () => {
      disposed = true;
      releaseHelp?.();
      editor.current?.getModel()?.dispose();
      editor.current?.dispose();
      editor.current = null;
    };
  }, [path]); // eslint-disable-line react-hooks/exhaustive-deps


  useEffect(() => {
    const m = api.current;
    const model = editor.current?.getModel();
    if (!m || !model) return;
    const severity = { error: m.monaco.MarkerSeverity.Error, warning: m.monaco.MarkerSeverity.Warning, info: m.monaco.MarkerSeverity.Info };
    m.monaco.editor.setModelMarkers(model, 'headroom-engine', (diagnostics ?? []).map((d) => ({
      severity: severity[d.severity], message: d.message,
      startLineNumber: d.line, startColumn: d.column, endLineNumber: d.endLine ?? d.line, endColumn: d.endColumn ?? d.column + 1,
    })));
  }, [diagnostics, value]);

  useEffect(() => {
    const e = editor.current;
    if (!e || !goTo) return;
    e.setPosition({ lineNumber: goTo.line, column: goTo.column });
    e.revealLineInCenter(goTo.line);
    e.focus();
  }, [goTo]);

  if (failed) return <p className="error">The editor failed to load: {failed}</p>;
  return <div ref={host} className="code-editor" style={{ height }} data-testid={testId} />;
}
