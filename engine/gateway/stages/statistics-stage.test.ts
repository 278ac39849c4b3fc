import { describe, expect, it } from 'vitest';
import { CMD_FLUSH, CMD_READ, CMD_WRITE, EIO } from '../nbd-constants.js';
import { EntityStats } from '../stats.js';
import { RecordingStage } from './recording-stage.js';
import { StatisticsStage, type MeasuredIo } from './statistics-stage.js';

function statisticsStage() {
  const start = { wall: 0, mono: 0 };
  const pair = new EntityStats('pair', 'app1', 'lun0', start);
  const host = new EntityStats('host', 'app1', '', start);
  const lun = new EntityStats('lun', '', 'lun0', start);
  const next = new RecordingStage<MeasuredIo>();
  return { stage: new StatisticsStage<MeasuredIo>(pair, host, lun, next), pair, host, lun, next };
}

const io = (type: number, arrivedAt: number, length = 4096, errno = 0): MeasuredIo => ({ type, length, arrivedAt, errno });
/** HDR histograms keep two significant digits: a recorded value reads back within 1%. */
const within1Percent = (actual: number, expected: number): void => expect(Math.abs(actual - expected) / expected).toBeLessThan(0.01);

describe('the statistics stage', () => {
  it('records as latency exactly the span from the header arriving to the reply handed off, per read and write', () => {
    const { stage, pair } = statisticsStage();
    const read = io(CMD_READ, 1000);
    const write = io(CMD_WRITE, 1000.1, 65536);
    stage.submit(read);
    stage.submit(write);
    stage.settle(read, 1000.75);
    stage.settle(write, 1003.1);
    const figures = pair.take({ wall: 1000, mono: 1000 });
    expect(figures.readLatencyUs.count).toBe(1);
    within1Percent(figures.readLatencyUs.p50, 750);
    within1Percent(figures.writeLatencyUs.max, 3000);
    expect(pair.lifetime.readBytes).toBe(4096);
    expect(pair.lifetime.writeBytes).toBe(65536);
    expect(pair.lifetime.read.sumUs).toBe(750);
    expect(pair.lifetime.write.sumUs).toBe(3000);
  });

  it('counts a request in the queue depth of its pair, host and LUN from submit until settle', () => {
    const { stage, pair, host, lun } = statisticsStage();
    const requests = [io(CMD_READ, 0), io(CMD_WRITE, 0), io(CMD_FLUSH, 0, 0)];
    for (const r of requests) stage.submit(r);
    expect([pair.inFlight, host.inFlight, lun.inFlight]).toEqual([3, 3, 3]);
    stage.settle(requests[0]!, 1);
    expect([pair.inFlight, host.inFlight, lun.inFlight]).toEqual([2, 2, 2]);
    const figures = host.take({ wall: 1, mono: 1 });
    expect(figures.queueDepthMax).toBe(3);
    expect(figures.queueDepthMean).toBe(2);
  });

  it('counts a failed request as an error with no latency, and a request rejected before the chain as an error only', () => {
    const { stage, pair } = statisticsStage();
    const failed = io(CMD_READ, 0, 4096, EIO);
    stage.submit(failed);
    stage.settle(failed, 5);
    stage.reject();
    const figures = pair.take({ wall: 1, mono: 1 });
    expect(figures.errors).toBe(2);
    expect(figures.readLatencyUs.count).toBe(0);
    expect(figures.queueDepthMax).toBe(1);
    expect(pair.inFlight).toBe(0);
  });

  it('passes each request and each settle on, unchanged', () => {
    const { stage, next } = statisticsStage();
    const r = io(CMD_READ, 2);
    stage.submit(r);
    stage.settle(r, 3);
    expect(next.submitted).toEqual([r]);
    expect(next.settled).toEqual([{ io: r, now: 3 }]);
  });
});
