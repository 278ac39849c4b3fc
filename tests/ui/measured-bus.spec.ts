import { copyFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { MAX_LOADED_UTILISATION, measuredLoadedLatencyNs } from '../../engine/smp/bus/loaded-latency.js';
import type { MeasuredBusParameters } from '../../engine/smp/bus/measured-parameters.js';
import { expect, openStudy, repoRoot, screenshotDir, test } from './workbench.js';

const sample = path.join(repoRoot, 'samples', 'bus-probe-study.headroom.json');
type SampleFile = { busProbes: Array<{ id: string; result: { fit: MeasuredBusParameters & Record<string, unknown> } }>; smp: { scenarios: Array<{ scenario: Record<string, unknown> }> } };

/** The x and y of a chart's trace, as Plotly drew them. */
async function trace(page: Page, testId: string, name: string): Promise<{ x: number[]; y: number[] }> {
  return page.getByTestId(testId).locator('.js-plotly-plot').evaluate((el, n) => {
    const t = (el as unknown as { data: Array<{ name: string; x: number[]; y: number[] }> }).data.find((d) => d.name === n);
    if (!t) throw new Error(`no trace ${n}`);
    return { x: [...t.x], y: [...t.y] };
  }, name);
}

const LAW_TRACE = 'measured bus law (queueing, probe\'s parameters)';

test('What-if: a scenario runs on the measured bus of a saved probe, and the chart is drawn from that law', async ({ page, workbench }) => {
  await page.setViewportSize({ width: 1500, height: 1300 });
  const file = path.join(workbench.dir, 'measured.headroom.json');
  await copyFile(sample, file);
  const saved = JSON.parse(await readFile(sample, 'utf8')) as SampleFile;
  const fit = saved.busProbes[0]!.result.fit;
  await openStudy(page, workbench.url, file);
  await page.getByTestId('explorer-whatif').click();
  const editor = page.getByTestId('whatif-scenario');

  const law = editor.getByTestId('scenario-bus');
  const at = (saved.busProbes[0]!.result as unknown as { measuredAt: string }).measuredAt;
  await expect(law.locator('option[value="probe:probe-1"]')).toHaveText(`measured: use the measured bus of vm (AMD EPYC), ${at.slice(0, 10)} ${at.slice(11, 16)} UTC`);
  await law.selectOption('probe:probe-1');
  await expect(editor.getByTestId('scenario-bus-label')).toContainText('measured law');
  await expect(editor.getByTestId('scenario-measured-bus')).toContainText('Parameters from probe-1, vm (AMD EPYC)');

  // The chart beside the law: measurement, and the line from the engine's measured law at every point drawn.
  const chart = editor.getByTestId('chart-scenario-bus');
  await expect(chart.locator('.scatterlayer .trace')).toHaveCount(4);
  await expect(chart.locator('.barlayer .trace')).toHaveCount(1);
  await expect(chart).toContainText('bandwidth (GB/s)');
  await expect(chart).toContainText('loaded latency (ns)');
  const line = await trace(page, 'chart-scenario-bus', LAW_TRACE);
  expect(line.x.length).toBeGreaterThan(10);
  line.x.forEach((gbps, i) => expect(line.y[i]!).toBeCloseTo(measuredLoadedLatencyNs(fit, gbps * 1e9), 6));
  // It stops where the law caps the queue; the measured peak is its own dotted line.
  expect(line.x.at(-1)!).toBeCloseTo((fit.peakBandwidthBytesPerSec * MAX_LOADED_UTILISATION) / 1e9, 6);
  await editor.getByTestId('chart-scenario-bus').screenshot({ path: path.join(screenshotDir, 'whatif-measured-bus-chart.png') });

  await editor.getByTestId('scenario-run').click();
  await expect(editor.getByTestId('simulation-bus-law')).toContainText('measured law', { timeout: 60_000 });
  await expect(editor.getByTestId('chart-bus')).toContainText('measured law');
  await editor.getByTestId('scenario-bus').scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(screenshotDir, 'whatif-measured-bus.png') });

  // The probe section's chart is the same law.
  const probeLine = await trace(page, 'chart-probe', LAW_TRACE);
  expect(probeLine.y).toEqual(line.y);

  // Saved with the probe's parameters inline: the scenario runs the same from `smp simulate`.
  await page.keyboard.press('Control+s');
  await expect.poll(async () => (JSON.parse(await readFile(file, 'utf8')) as SampleFile).smp.scenarios[0]!.scenario.bus, { timeout: 10_000 }).toBe('measured');
  const after = JSON.parse(await readFile(file, 'utf8')) as SampleFile;
  const { model: _model, points: _points, ...record } = fit;
  expect(after.smp.scenarios[0]!.scenario.measuredBus).toEqual(record);
});

test('What-if: a probe with bad data is refused with the workspace file and the JSON pointer, and nothing else breaks', async ({ page, workbench }) => {
  await page.setViewportSize({ width: 1500, height: 1600 });
  const file = path.join(workbench.dir, 'bad-probe.headroom.json');
  const raw = JSON.parse(await readFile(sample, 'utf8')) as SampleFile;
  // The workspace schema only says this is a number, so the file opens; the measured law cannot use it.
  (raw.busProbes[0]!.result.fit as Record<string, unknown>).transactionServiceNs = 0;
  await writeFile(file, JSON.stringify(raw, null, 2));
  await openStudy(page, workbench.url, file);
  await page.getByTestId('explorer-whatif').click();
  const editor = page.getByTestId('whatif-scenario');
  await editor.getByTestId('scenario-bus').selectOption('probe:probe-1');
  const error = editor.getByTestId('scenario-probe-error');
  await expect(error).toContainText(`${file} at /busProbes/0/result/fit/transactionServiceNs: must be greater than 0 (got 0)`);
  await expect(editor.getByTestId('scenario-bus-label')).toContainText('document law');
  await expect(page.getByTestId('whatif-probe').getByTestId('chart-probe-error')).toContainText('/busProbes/0/result/fit/transactionServiceNs');
  await page.getByTestId('whatif-view').screenshot({ path: path.join(screenshotDir, 'whatif-measured-bus-bad-probe.png') });
  // The rest of the view still works: the scenario runs on its own law.
  await editor.getByTestId('scenario-run').click();
  await expect(editor.getByTestId('simulation-bus-law')).toContainText('document law', { timeout: 60_000 });
});
