import { readFile, writeFile, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { samplesDir } from '../../runtime/index.js';
import { openWorkspace, WorkspaceError, type Workspace } from '../../workspace/index.js';
import { MAX_LOADED_UTILISATION, measuredLoadedLatencyNs } from '../bus/loaded-latency.js';
import { queueingParametersFromMeasurement } from '../bus/queueing-parameters.js';
import { resolveScenario } from '../model.js';
import { validateScenario } from '../scenario-schema.js';
import { simulateScenario } from '../simulate.js';
import { measuredBusOfProbe, measuredLawCurve, probeErrors, probeOfScenario, scenarioOnProbe } from './measured-bus.js';

const sample = path.join(samplesDir(), 'bus-probe-study.headroom.json');

async function opened(): Promise<{ workspace: Workspace; file: string }> {
  const o = await openWorkspace(sample);
  return { workspace: o.workspace, file: o.path };
}

/** The sample with one fit field replaced (or removed, for undefined), as a hand edit would leave it. */
function withFit(workspace: Workspace, field: string, value: unknown): Workspace {
  const copy = structuredClone(workspace);
  const fit = copy.busProbes![0]!.result.fit as unknown as Record<string, unknown>;
  if (value === undefined) delete fit[field]; else fit[field] = value;
  return copy;
}

function placeOf(run: () => unknown): { file: string; where: string; message: string } {
  try { run(); } catch (err) {
    if (err instanceof WorkspaceError) return { file: err.file, where: err.where, message: err.message };
    throw err;
  }
  throw new Error('expected a WorkspaceError');
}

describe('a scenario on the measured bus of a saved probe', () => {
  it('runs the workspace scenario on the probe\'s parameters, through the measured law', async () => {
    const { workspace, file } = await opened();
    const scenario = workspace.smp!.scenarios[0]!.scenario;
    const probe = workspace.busProbes![0]!;
    const onProbe = validateScenario(scenarioOnProbe(scenario, workspace, file, probe.id));
    expect(onProbe.bus).toBe('measured');
    expect(probeOfScenario(onProbe, workspace.busProbes!)?.id).toBe(probe.id);
    // The simulator's bus is exactly the engine's mapping of the probe's fit.
    const resolved = resolveScenario(onProbe);
    expect(resolved.machine.bus.law).toBe('measured');
    expect(resolved.machine.bus.queueing).toEqual(queueingParametersFromMeasurement(probe.result.fit));

    const measured = simulateScenario(onProbe);
    const queueing = simulateScenario({ ...scenario, bus: 'queueing' });
    expect(measured.bus).toBe('measured');
    expect(measured.busLabel).toContain('measured law');
    // The probe fitted an arbitration latency; it is not charged as bus occupancy, so the simulated
    // bus moves lines at the measured service time and cannot run below the machine's measured peak.
    expect(probe.result.fit.arbitrationNs).toBeGreaterThan(0);
    expect(resolved.machine.bus.queueing!.arbitrationCycles).toBe(0);
    expect(resolved.machine.bus.queueing!.serviceCycles).toBeCloseTo(probe.result.fit.transactionServiceNs * 3, 9);
    expect(measured.standard.throughput).toBeGreaterThan(0);
    expect(queueing.standard.throughput).toBeGreaterThan(0);
  });

  it('draws the chart\'s model line and errors from the same law the fit used', async () => {
    const { workspace, file } = await opened();
    const fit = workspace.busProbes![0]!.result.fit;
    const rows = probeErrors(workspace, file, 'probe-1');
    const points = workspace.busProbes![0]!.result.curves.flatMap((c) => c.points);
    expect(rows).toHaveLength(points.length);
    // The RMS of the rows is the RMS the probe recorded when it fitted: one law on both sides.
    const rms = Math.sqrt(rows.reduce((s, r) => s + r.errorNs ** 2, 0) / rows.length);
    expect(rms).toBeCloseTo(fit.fitRmsErrorNs, 6);
    const curve = measuredLawCurve(fit);
    expect(curve[0]!.latencyNs).toBeCloseTo(fit.idleLatencyNs, 9);
    expect(curve.at(-1)!.bandwidthBytesPerSec).toBeCloseTo(fit.peakBandwidthBytesPerSec * MAX_LOADED_UTILISATION, 0);
    // It stops where the law caps the queue, so its last step still rises.
    expect(curve.at(-1)!.latencyNs).toBeGreaterThan(curve.at(-2)!.latencyNs);
    for (let i = 1; i < curve.length; i++) expect(curve[i]!.latencyNs).toBeGreaterThanOrEqual(curve[i - 1]!.latencyNs);
    // The clock converts ns to cycles and back: the drawn latency does not depend on it.
    expect(measuredLoadedLatencyNs(fit, 3e9, 1.2)).toBeCloseTo(measuredLoadedLatencyNs(fit, 3e9, 4.5), 9);
  });
});

describe('bad or incomplete probe data', () => {
  it('names the workspace file and the JSON pointer of the field', async () => {
    const { workspace, file } = await opened();
    const zero = placeOf(() => scenarioOnProbe(workspace.smp!.scenarios[0]!.scenario, withFit(workspace, 'transactionServiceNs', 0), file, 'probe-1'));
    expect(zero.file).toBe(file);
    expect(zero.where).toBe('/busProbes/0/result/fit/transactionServiceNs');
    expect(zero.message).toContain(file);

    expect(placeOf(() => measuredBusOfProbe(withFit(workspace, 'arbitrationNs', -3), file, 'probe-1')).where).toBe('/busProbes/0/result/fit/arbitrationNs');
    const missing = placeOf(() => measuredBusOfProbe(withFit(workspace, 'idleLatencyNs', undefined), file, 'probe-1'));
    expect(missing.where).toBe('/busProbes/0/result/fit/idleLatencyNs');
    // A service time that is not lineBytes / peak is not what a probe wrote.
    expect(placeOf(() => measuredBusOfProbe(withFit(workspace, 'lineBytes', 128), file, 'probe-1')).where).toBe('/busProbes/0/result/fit/transactionServiceNs');
    expect(placeOf(() => measuredBusOfProbe(workspace, file, 'probe-9')).where).toBe('/busProbes');
    expect(placeOf(() => measuredBusOfProbe(withFit(workspace, 'idleLatencyNs', -1), null, 'probe-1')).file).toBe('unsaved workspace');

    const badPoint = structuredClone(workspace);
    badPoint.busProbes![0]!.result.curves[0]!.points[2]!.latencyNs = -1;
    expect(placeOf(() => probeErrors(badPoint, file, 'probe-1')).where).toBe('/busProbes/0/result/curves/0/points/2/latencyNs');
  });

  it('a truncated probe in the file is refused on open with the place, not at simulation', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'headroom-probe-'));
    const file = path.join(dir, 'cut.headroom.json');
    const raw = JSON.parse(await readFile(sample, 'utf8')) as { busProbes: Array<{ result: { fit: Record<string, unknown> } }> };
    delete raw.busProbes[0]!.result.fit.arbitrationNs;
    await writeFile(file, JSON.stringify(raw, null, 2));
    const err = await openWorkspace(file).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(WorkspaceError);
    expect((err as WorkspaceError).file).toBe(file);
    expect((err as WorkspaceError).where).toMatch(/^\$\.busProbes\[0\]\.result\.fit \(line \d+, column \d+\)$/);
  });

  it('any number in any fit field gives either a record the measured law takes or an error at that field', async () => {
    const { workspace, file } = await opened();
    const fields = ['idleLatencyNs', 'lineBytes', 'peakBandwidthBytesPerSec', 'transactionServiceNs', 'arbitrationNs', 'fitRmsErrorNs', 'hardwareThreads'];
    fc.assert(fc.property(fc.constantFrom(...fields), fc.oneof(fc.double(), fc.integer(), fc.constant(undefined), fc.string()), (field, value) => {
      const edited = withFit(workspace, field, value);
      let record;
      try { record = measuredBusOfProbe(edited, file, 'probe-1'); } catch (err) {
        expect(err).toBeInstanceOf(WorkspaceError);
        expect((err as WorkspaceError).where).toMatch(/^\/busProbes\/0\/result\/fit\/\w+$/);
        return;
      }
      const q = queueingParametersFromMeasurement(record);
      expect(Number.isFinite(measuredLoadedLatencyNs(record, record.peakBandwidthBytesPerSec / 2))).toBe(true);
      expect(q.serviceCycles).toBeGreaterThan(0);
    }), { numRuns: 2000 });
  });
});
