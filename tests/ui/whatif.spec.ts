import { copyFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, openStudy, repoRoot, screenshotDir, test } from './workbench.js';

test('What-if: the bus model, a scenario under both dispatchers, a sweep and a USL fit, saved in the workspace', async ({ page, workbench }) => {
  const cspViolations: string[] = [];
  page.on('console', (m) => { if (/Content Security Policy|Refused to/.test(m.text())) cspViolations.push(m.text()); });
  // Tall enough that the screenshots show whole panels.
  await page.setViewportSize({ width: 1500, height: 2400 });
  const file = path.join(workbench.dir, 'whatif.headroom.json');
  await copyFile(path.join(repoRoot, 'samples', 'capacity-study.headroom.json'), file);
  await openStudy(page, workbench.url, file);

  await page.getByTestId('explorer-whatif').click();
  const view = page.getByTestId('whatif-view');
  await expect(view).toBeVisible();
  // Table 2 from the engine, and the charts drawn by Plotly under the workbench's CSP.
  await view.getByText('Table (10 rows)').click();
  const table = view.getByTestId('analytic-table');
  for (const cpi of ['4.7', '5.0', '5.9', '7.4', '9.5', '12.2', '15.5', '19.4', '23.9', '29.0']) await expect(table).toContainText(cpi);
  await expect(view.getByTestId('chart-cpi').locator('.main-svg').first()).toBeVisible();
  await expect(view.getByTestId('chart-speedup').locator('.scatterlayer .trace')).toHaveCount(4);

  // The Figure 7 scenario under both dispatchers.
  await expect(view.getByTestId('scenario-select')).toHaveValue('figure-7');
  // A value outside the schema's bounds is refused in the form and never reaches the scenario.
  await view.getByTestId('scenario-cpus').fill('0');
  await expect(view.getByTestId('scenario-cpus')).toHaveAttribute('aria-invalid', 'true');
  await expect(view.getByText('Must be at least 1.')).toBeVisible();
  await view.getByTestId('scenario-cpus').fill('4');
  await view.getByTestId('scenario-run').click();
  await expect(view.getByTestId('simulation-summary')).toContainText('AutoPilot / standard throughput');
  await expect(view.getByTestId('chart-bus').locator('.scatterlayer .trace')).toHaveCount(4);
  await expect(view.getByTestId('chart-slowdown').locator('.barlayer .trace')).toHaveCount(2);
  await view.getByTestId('whatif-scenario').screenshot({ path: path.join(screenshotDir, 'whatif-scenario.png') });
  await view.getByTestId('whatif-analytic').screenshot({ path: path.join(screenshotDir, 'whatif-analytic.png') });
  // Every result says which bus law produced it; the analytic charts put both laws together with the reason they differ.
  await expect(view.getByTestId('simulation-bus-law')).toContainText('document law');
  await expect(view.getByTestId('analytic-why')).toContainText('a queueing bus serves one transaction at a time');
  await view.getByTestId('scenario-bus').selectOption('queueing');
  await expect(view.getByTestId('scenario-bus-label')).toContainText('queueing law');
  await view.getByTestId('queueing-arbitration-cycles').fill('3');
  await view.getByTestId('scenario-run').click();
  await expect(view.getByTestId('simulation-bus-law')).toContainText('queueing law');
  await expect(view.getByTestId('chart-bus')).toContainText('queueing law');
  await expect(view.getByTestId('sweep-bus-law')).toContainText('queueing law');
  await view.getByTestId('whatif-scenario').screenshot({ path: path.join(screenshotDir, 'whatif-scenario-queueing.png') });


  // A two-parameter sweep, drawn as a heatmap.
  await view.getByTestId('sweep-values-0').fill('2,4');
  await view.getByTestId('sweep-values-1').fill('0.8,0.9');
  await view.getByTestId('sweep-run').click();
  await expect(view.getByTestId('chart-sweep-heatmap').locator('.hm, .heatmaplayer image, .heatmaplayer .hm').first()).toBeAttached();
  await view.getByTestId('whatif-sweep').screenshot({ path: path.join(screenshotDir, 'whatif-sweep.png') });

  // A long sweep shows progress and can be cancelled.
  await view.getByTestId('sweep-second-axis').uncheck();
  await view.getByTestId('sweep-path-0').selectOption('seed');
  await view.getByTestId('sweep-values-0').fill('1:4000:4000');
  await view.getByTestId('sweep-run').click();
  await expect(view.getByTestId('sweep-progress')).toBeVisible();
  await view.getByTestId('sweep-cancel').click();
  await expect(view.getByText('sweep cancelled')).toBeVisible();

  // A one-axis CPU sweep feeds a USL fit.
  await view.getByTestId('sweep-path-0').selectOption('cpus');
  await view.getByTestId('sweep-values-0').fill('1,2,3,4,5,6,8');
  await view.getByTestId('sweep-run').click();
  await expect(view.getByTestId('chart-sweep-line')).toBeVisible();
  await view.getByTestId('fit-usl-autopilot').click();
  await expect(view.getByTestId('usl-fit')).toContainText('σ (contention)');
  await expect(view.getByTestId('chart-usl').locator('.scatterlayer .trace')).toHaveCount(3);
  await view.getByTestId('whatif-usl').screenshot({ path: path.join(screenshotDir, 'whatif-usl.png') });

  // All of it is saved in the workspace file.
  await page.keyboard.press('Control+s');
  await expect(page.getByTestId('document-state')).toHaveText('Saved');
  const saved = JSON.parse(await readFile(file, 'utf8')) as { smp: { scenarios: Array<{ lastRun?: { autopilotVsStandard: number } }>; sweeps: Array<{ rows?: unknown[] }>; uslSeries: unknown[] } };
  expect(saved.smp.scenarios[0]!.lastRun?.autopilotVsStandard).toBeGreaterThan(0);
  expect(saved.smp.sweeps.filter((s) => (s.rows?.length ?? 0) > 0)).toHaveLength(2);
  expect(saved.smp.uslSeries).toHaveLength(2);
  expect(cspViolations).toEqual([]);
});
