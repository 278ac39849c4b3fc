import * as monaco from 'monaco-editor';
import EditorWorker from 'monaco-editor/editor/editor.worker.js?worker';

// The editor's own worker comes from the app's origin, as the CSP requires (worker-src 'self').
(globalThis as unknown as { MonacoEnvironment: { getWorker(id: string, label: string): Worker } }).MonacoEnvironment = {
  getWorker: () => new EditorWorker(),
};

monaco.editor.defineTheme('headroom-dark', {
  base: 'vs-dark',
  inherit: true,
  rules: [],
  colors: { 'editor.background': '#1a1b1e' },
});

export interface LanguageHelp {
  hover(text: string, line: number, column: number): Promise<string | null>;
  complete(text: string, line: number, column: number): Promise<Array<{ label: string; kind: 'property' | 'value'; insertText: string; doc: string }>>;
}

/**
 * Hover and completion for a model come from the engine, which answers from the same schema
 * its validator uses; one provider per language dispatches to the model's own helper.
 */
const helpers = new Map<string, LanguageHelp>();
const registered = new Set<string>();

export function provideLanguageHelp(language: string, model: monaco.editor.ITextModel, help: LanguageHelp): () => void {
  helpers.set(model.uri.toString(), help);
  if (!registered.has(language)) {
    registered.add(language);
    monaco.languages.registerHoverProvider(language, {
      async provideHover(m, position) {
        const h = helpers.get(m.uri.toString());
        const doc = h ? await h.hover(m.getValue(), position.lineNumber, position.column) : null;
        if (!doc) return null;
        const word = m.getWordAtPosition(position);
        return {
          contents: [{ value: doc }],
          ...(word ? { range: new monaco.Range(position.lineNumber, word.startColumn, position.lineNumber, word.endColumn) } : {}),
        };
      },
    });
    monaco.languages.registerCompletionItemProvider(language, {
      async provideCompletionItems(m, position) {
        const h = helpers.get(m.uri.toString());
        if (!h) return { suggestions: [] };
        const items = await h.complete(m.getValue(), position.lineNumber, position.column);
        const word = m.getWordUntilPosition(position);
        const range = new monaco.Range(position.lineNumber, word.startColumn, position.lineNumber, word.endColumn);
        return {
          suggestions: items.map((item) => ({
            label: item.label,
            kind: item.kind === 'property' ? monaco.languages.CompletionItemKind.Property : monaco.languages.CompletionItemKind.Value,
            insertText: item.insertText,
            documentation: { value: item.doc },
            range,
          })),
        };
      },
    });
  }
  return () => { helpers.delete(model.uri.toString()); };
}

export { monaco };
