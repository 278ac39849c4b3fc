import { useEffect, useRef, useState } from 'react';
import type { Config, Data, Layout } from 'plotly.js';

type PlotlyModule = typeof import('plotly.js');
let plotly: Promise<PlotlyModule> | null = null;
/** Plotly is large; it loads on the first chart, not with the workbench. */
function loadPlotly(): Promise<PlotlyModule> {
  plotly ??= import('plotly.js-dist-min').then((m) => (m.default ?? m) as PlotlyModule);
  return plotly;
}

const baseLayout: Partial<Layout> = {
  paper_bgcolor: 'rgba(0,0,0,0)',
  plot_bgcolor: 'rgba(0,0,0,0)',
  font: { color: '#c9ced6', size: 12, family: 'system-ui, sans-serif' },
  margin: { l: 60, r: 44, t: 44, b: 120 },
  // Axis titles stand clear of their tick labels however long those are.
  xaxis: { gridcolor: '#34373d', zerolinecolor: '#4a4e55', automargin: true, title: { standoff: 12 } },
  yaxis: { gridcolor: '#34373d', zerolinecolor: '#4a4e55', automargin: true, title: { standoff: 12 } },
  // The toolbar stands up the right edge, where it cannot cover a chart's title.
  modebar: { orientation: 'v', bgcolor: 'rgba(0,0,0,0)' },
  // Legend under the x-axis title, anchored by its top so long legends grow downwards.
  legend: { orientation: 'h', x: 0, y: -0.28, yanchor: 'top' },
  colorway: ['#4c9aff', '#f2a541', '#4cc38a', '#e86a92', '#a98bff', '#58c4dd', '#d6d36a'],
};

const config: Partial<Config> = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ['sendDataToCloud', 'lasso2d', 'select2d'] };

/** A view may give an axis title as a string or an object; merge either over the defaults. */
function titleOf(title: unknown): object {
  if (typeof title === 'string') return { text: title };
  return typeof title === 'object' && title !== null ? title : {};
}

export interface ChartProps {
  data: Data[];
  layout?: Partial<Layout>;
  height?: number;
  testId?: string;
}

export function Chart({ data, layout, height = 400, testId }: ChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    loadPlotly()
      .then((P) => {
        if (cancelled || !host.current) return;
        const merged: Partial<Layout> = {
          ...baseLayout, ...layout, height,
          xaxis: { ...baseLayout.xaxis, ...layout?.xaxis, title: { ...baseLayout.xaxis?.title as object, ...titleOf(layout?.xaxis?.title) } },
          yaxis: { ...baseLayout.yaxis, ...layout?.yaxis, title: { ...baseLayout.yaxis?.title as object, ...titleOf(layout?.yaxis?.title) } },
        };
        return P.react(host.current, data, merged, config);
      })
      .catch((err: unknown) => setError(err instanceof Error ? err.message : String(err)));
    return () => { cancelled = true; };
  }, [data, layout, height]);
  useEffect(() => {
    const node = host.current;
    return () => { if (node) void loadPlotly().then((P) => P.purge(node)); };
  }, []);
  return (
    <div className="chart" data-testid={testId}>
      {error ? <p className="error">Chart failed: {error}</p> : <div ref={host} />}
    </div>
  );
}
