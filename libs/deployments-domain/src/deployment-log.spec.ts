import type { DeploymentLogEntry } from '@slipway/deployments-contracts';
import { DeploymentLog } from './deployment-log';

describe('DeploymentLog', () => {
  it('stamps every line, stores them in order, and never stores a secret', async () => {
    const written: DeploymentLogEntry[][] = [];
    let tick = 0;
    const log = new DeploymentLog(
      async (lines) => {
        written.push(lines);
      },
      (err) => {
        throw err;
      },
      () => new Date(Date.UTC(2026, 0, 1, 0, 0, tick++)),
    );
    log.redacting(['hunter22']);
    log.info('building', 'Step 1/2 : FROM base');
    log.add('building', 'error', 'failed with TOKEN=hunter22');
    await log.flush();
    log.info('deploying', 'done');
    await log.flush();
    expect(written).toEqual([
      [
        { at: '2026-01-01T00:00:00.000Z', stage: 'building', level: 'info', message: 'Step 1/2 : FROM base' },
        { at: '2026-01-01T00:00:01.000Z', stage: 'building', level: 'error', message: 'failed with TOKEN=********' },
      ],
      [{ at: '2026-01-01T00:00:02.000Z', stage: 'deploying', level: 'info', message: 'done' }],
    ]);
  });

  it('writes a batch as soon as 200 lines are waiting', async () => {
    const sizes: number[] = [];
    const log = new DeploymentLog(async (lines) => void sizes.push(lines.length), () => undefined);
    for (let i = 0; i < 450; i++) log.info('building', `line ${i}`);
    await log.flush();
    expect(sizes).toEqual([200, 200, 50]);
  });
});
