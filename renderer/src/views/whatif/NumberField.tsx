import { useEffect, useState } from 'react';

/**
 * A number input that lets the user type freely and commits only valid numbers within bounds;
 * `percent` shows fractions as percentages, the way planners speak of bus load.
 */
export function NumberField(props: {
  label: string; value: number | undefined; onChange: (value: number | undefined) => void;
  min?: number; max?: number; step?: number; percent?: boolean; integer?: boolean; optional?: boolean; hint?: string; testId?: string;
}) {
  const scale = props.percent ? 100 : 1;
  const show = (v: number | undefined): string => (v === undefined ? '' : String(Number((v * scale).toPrecision(10))));
  const [text, setText] = useState(show(props.value));
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => { setText(show(props.value)); setProblem(null); }, [props.value]); // eslint-disable-line react-hooks/exhaustive-deps
  const commit = (raw: string): void => {
    setText(raw);
    if (raw.trim() === '' && props.optional) { setProblem(null); props.onChange(undefined); return; }
    const n = Number(raw) / scale;
    if (raw.trim() === '' || !Number.isFinite(n)) { setProblem('a number'); return; }
    if (props.integer && !Number.isInteger(n)) { setProblem('a whole number'); return; }
    if (props.min !== undefined && n < props.min) { setProblem(`at least ${props.min * scale}`); return; }
    if (props.max !== undefined && n > props.max) { setProblem(`at most ${props.max * scale}`); return; }
    setProblem(null);
    props.onChange(n);
  };
  return (
    <label className="field compact" title={props.hint}>
      <span>{props.label}{props.percent ? ' (%)' : ''}</span>
      <input inputMode="decimal" value={text} onChange={(e) => commit(e.target.value)} aria-invalid={problem !== null} data-testid={props.testId}
        placeholder={props.optional ? 'default' : ''} />
      {problem && <small className="error">Must be {problem}.</small>}
    </label>
  );
}
