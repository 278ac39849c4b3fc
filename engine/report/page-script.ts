/**
 * The script inside the report page. It runs in Chromium under Playwright, in Electron's hidden
 * print window and in the app's preview frame, so it uses nothing but the DOM and Plotly: it
 * renders every chart spec to SVG, then sets `window.__reportReady` (and `__reportError` if a chart
 * failed) so the printer knows the page is complete.
 */
export const pageScript = String.raw`
(function () {
  function done(error) {
    if (error) window.__reportError = String(error && error.message ? error.message : error);
    window.__reportReady = true;
    document.documentElement.setAttribute('data-report-ready', error ? 'error' : 'ok');
  }
  function axis(title, log) {
    var a = { title: { text: title }, automargin: true, zeroline: false, gridcolor: '#ddd', linecolor: '#888', showline: true };
    if (log) { a.type = 'log'; a.dtick = 1; }
    return a;
  }
  var palette = ['#1f5fa8', '#d9730d', '#2e8b57', '#8e44ad', '#c0392b', '#566573'];
  function traces(spec) {
    if (spec.kind === 'heatmap') {
      // Grid values as categories: one labelled cell per value, however unevenly spaced.
      return [{ type: 'heatmap', x: spec.x.map(String), y: spec.y.map(String), z: spec.z, colorscale: 'Viridis', colorbar: { title: { text: spec.zLabel } } }];
    }
    return spec.series.map(function (s, i) {
      var color = palette[(typeof s.colorOf === 'number' ? s.colorOf : i) % palette.length];
      if (spec.kind === 'bar') return { type: 'bar', name: s.name, x: s.x, y: s.y, marker: { color: color } };
      return {
        type: 'scatter', name: s.name, x: s.x, y: s.y,
        mode: s.markersOnly ? 'markers' : (s.linesOnly || s.x.length > 30 ? 'lines' : 'lines+markers'),
        line: { color: color, width: s.x.length > 100 ? 1 : 2, dash: s.dash ? 'dash' : 'solid' },
        // A few measured points alone carry the chart: larger markers, so they read at print size.
        marker: { color: color, size: s.markersOnly && s.x.length <= 30 ? 8 : 6 },
      };
    });
  }
  function render() {
    var specs = JSON.parse(document.getElementById('report-charts').textContent || '[]');
    var nodes = document.querySelectorAll('[data-chart]');
    var pending = [];
    for (var i = 0; i < nodes.length; i++) {
      var node = nodes[i];
      var spec = specs[Number(node.getAttribute('data-chart'))];
      var layout = {
        width: node.clientWidth || 640, height: 300,
        margin: { l: 60, r: 20, t: 10, b: 50 },
        font: { family: 'DejaVu Sans, Liberation Sans, Arial, sans-serif', size: 11 },
        xaxis: axis(spec.xLabel, spec.xLog), yaxis: axis(spec.yLabel, !!spec.yLog),
        // Above the plot, where it cannot collide with the x axis title; margins grow to fit it.
        legend: { orientation: 'h', x: 0, y: 1.02, xanchor: 'left', yanchor: 'bottom' },
        barmode: 'group', paper_bgcolor: '#fff', plot_bgcolor: '#fff', showlegend: spec.kind !== 'heatmap',
      };
      if (spec.kind === 'heatmap') { layout.xaxis.type = 'category'; layout.yaxis.type = 'category'; }
      pending.push(window.Plotly.newPlot(node, traces(spec), layout, { staticPlot: true, displayModeBar: false, responsive: false }));
    }
    return Promise.all(pending);
  }
  try {
    if (!window.Plotly) throw new Error('Plotly did not load');
    render().then(function () { done(null); }, done);
  } catch (error) {
    done(error);
  }
})();
`;
