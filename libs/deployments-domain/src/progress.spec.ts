import { describe, expect, it } from '@jest/globals';
import { fold } from '@slipway/core';
import type { DeploymentCommand, DeploymentEvent } from '@slipway/deployments-contracts';
import { deploymentDecider, type DeploymentState } from './deployment.decider';
import { deploymentProgress, parseBuildStep, progressMessage } from './progress';

const t0 = '2026-01-01T00:00:00.000Z';
const meta = { now: t0, actorId: 'system', commandId: 'c', requestId: 'r' } as unknown as DeploymentCommand['metadata'];
const cmd = (type: string, data: Record<string, unknown>): DeploymentCommand => ({ type, data: { deploymentId: 'd-1', ...data }, metadata: meta }) as DeploymentCommand;

/** Runs commands one after the other, collecting every DeploymentProgressed. */
function run(commands: DeploymentCommand[]) {
  let events: DeploymentEvent[] = [];
  const shown: Array<{ status: string; progress: number; stage: string | null; message: string }> = [];
  for (const c of commands) {
    const state: DeploymentState = fold(deploymentDecider, events);
    const out = deploymentDecider.decide(c, state);
    for (const e of out) if (e.type === 'DeploymentProgressed') shown.push({ status: e.data.status, progress: e.data.progress, stage: e.data.stage, message: e.data.message });
    events = [...events, ...out];
  }
  return { shown, state: fold(deploymentDecider, events) };
}

const create = cmd('CreateDeployment', {
  applicationId: 'a-1',
  projectId: 'p-1',
  ownerId: 'u-1',
  kind: 'deploy',
  source: { type: 'git', repoUrl: 'https://example.com/o/r.git', branch: 'main', commitSha: null, buildPath: '.', dockerfile: 'Dockerfile' },
  force: false,
  previousDeploymentId: null,
  commit: null,
});

describe('deploymentProgress', () => {
  const stages = (c: string, b: string, d: string) => ({ cloning: { status: c }, building: { status: b }, deploying: { status: d } }) as never;

  it('is 0 queued, rises through the bands from the steps counted, and is 100 only on success', () => {
    expect(deploymentProgress('pending', stages('pending', 'pending', 'pending'), null)).toBe(0);
    expect(deploymentProgress('cloning', stages('running', 'pending', 'pending'), null)).toBe(0);
    expect(deploymentProgress('building', stages('completed', 'running', 'pending'), null)).toBe(10);
    expect(deploymentProgress('building', stages('completed', 'running', 'pending'), { stage: 'building', done: 3, total: 6 })).toBe(40);
    expect(deploymentProgress('deploying', stages('completed', 'completed', 'running'), { stage: 'deploying', done: 2, total: 2 })).toBe(99);
    expect(deploymentProgress('success', stages('completed', 'completed', 'completed'), null)).toBe(100);
  });

  it('counts skipped stages as done (an image deployment starts its rollout at 70)', () => {
    expect(deploymentProgress('deploying', stages('skipped', 'skipped', 'running'), null)).toBe(70);
  });

  it('ignores steps of another stage', () => {
    expect(deploymentProgress('deploying', stages('completed', 'completed', 'running'), { stage: 'building', done: 6, total: 6 })).toBe(70);
  });
});

describe('parseBuildStep', () => {
  it('reads the classic builder and BuildKit step lines: "Step 3/7" means two of seven done', () => {
    expect(parseBuildStep('Step 3/7 : RUN make')).toEqual({ done: 2, total: 7 });
    expect(parseBuildStep('#7 [2/4] RUN npm ci')).toEqual({ done: 1, total: 4 });
    expect(parseBuildStep('#9 [build 3/5] COPY . .')).toEqual({ done: 2, total: 5 });
  });

  it('ignores other lines and impossible figures', () => {
    expect(parseBuildStep(' ---> Running in 1234')).toBeNull();
    expect(parseBuildStep('Step 9/7 : RUN x')).toBeNull();
    expect(parseBuildStep('Step 0/0 : RUN x')).toBeNull();
  });
});

describe('DeploymentProgressed from the decider', () => {
  it('follows every stage in order with rising progress, ending at 100 on success', () => {
    const { shown, state } = run([
      create,
      cmd('StartDeployment', { workerId: 'w', enter: 'cloning' }),
      cmd('CompleteStage', { stage: 'cloning' }),
      cmd('StartStage', { stage: 'building' }),
      cmd('RecordProgress', { stage: 'building', done: 1, total: 3 }),
      cmd('RecordProgress', { stage: 'building', done: 2, total: 3 }),
      cmd('CompleteStage', { stage: 'building' }),
      cmd('StartStage', { stage: 'deploying' }),
      cmd('RecordProgress', { stage: 'deploying', done: 1, total: 2 }),
      cmd('RecordProgress', { stage: 'deploying', done: 2, total: 2 }),
      cmd('SucceedDeployment', { image: 'x:1' }),
    ]);
    expect(shown.map((s) => s.status)).toEqual(['pending', 'cloning', 'building', 'building', 'building', 'deploying', 'deploying', 'deploying', 'success']);
    expect(shown.map((s) => s.progress)).toEqual([0, 0, 10, 30, 50, 70, 84, 99, 100]);
    expect(shown.find((s) => s.progress === 30)?.message).toBe('Building: step 2 of 3');
    expect(state).toMatchObject({ status: 'success', progress: 100 });
  });

  it('never goes down: a resume starts the stages over but the figure stays', () => {
    const { shown, state } = run([
      create,
      cmd('StartDeployment', { workerId: 'w', enter: 'cloning' }),
      cmd('CompleteStage', { stage: 'cloning' }),
      cmd('StartStage', { stage: 'building' }),
      cmd('RecordProgress', { stage: 'building', done: 2, total: 3 }),
      cmd('ResumeDeployment', { workerId: 'w2', reason: 'worker died' }),
      cmd('StartStage', { stage: 'cloning' }),
      cmd('RecordProgress', { stage: 'cloning', done: 1, total: 2 }),
    ]);
    const figures = shown.map((s) => s.progress);
    expect([...figures].sort((a, b) => a - b)).toEqual(figures);
    expect(state).toMatchObject({ progress: 50 });
  });

  it('records no event for a step that does not raise the figure, and refuses steps of a stage not running', () => {
    const base = [create, cmd('StartDeployment', { workerId: 'w', enter: 'cloning' }), cmd('CompleteStage', { stage: 'cloning' }), cmd('StartStage', { stage: 'building' })];
    const { shown } = run([...base, cmd('RecordProgress', { stage: 'building', done: 0, total: 3 })]);
    expect(shown.at(-1)).toMatchObject({ progress: 10, status: 'building' });
    expect(shown).toHaveLength(3);
    expect(() => run([...base, cmd('RecordProgress', { stage: 'deploying', done: 1, total: 1 })])).toThrow(/not running/);
  });

  it('a failure is shown with its reason and keeps the figure reached', () => {
    const { shown } = run([create, cmd('StartDeployment', { workerId: 'w', enter: 'cloning' }), cmd('FailDeployment', { reason: 'no such branch' })]);
    expect(shown.at(-1)).toEqual({ status: 'failed', progress: 0, stage: null, message: 'Deployment failed: no such branch' });
  });

  it('words the figure', () => {
    expect(progressMessage('deploying', 'deploying', { stage: 'deploying', done: 1, total: 3 }, null)).toBe('Deploying: 1 of 3 task(s) running');
    expect(progressMessage('pending', null, null, null)).toBe('Waiting in the queue');
  });
});
