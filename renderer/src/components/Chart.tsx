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
  margin: { l: 60, r: 20, t: 44, b: 120 },
  xaxis: { gridcolor: '#34373d', zerolinecolor: '#4a4e55' },
  yaxis: { gridcolor: '#34373d', zerolinecolor: '#4a4e55' },
  // Legend under the x-axis title, anchored by its top so long legends grow downwards.
  legend: { orientation: 'h', x: 0, y: -0.28, yanchor: 'top' },
  colorway: ['#4c9aff', '#f2a541', '#4cc38a', '#e86a92', '#a98bff', '#58c4dd', '#d6d36a'],
};

const config: Partial<Config> = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ['sendDataToCloud', 'lasso2d', 'select2d'] };

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
          xaxis: { ...baseLayout.xaxis, ...layout?.xaxis },
          yaxis: { ...baseLayout.yaxis, ...layout?.yaxis },
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
