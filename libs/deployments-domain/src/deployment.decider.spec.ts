import { AppError, fold } from '@slipway/core';
import type { DeploymentCommand, DeploymentEvent } from '@slipway/deployments-contracts';
import { SYSTEM_ACTOR } from './application.decider';
import { deploymentDecider } from './deployment.decider';

const t0 = '2026-01-01T00:00:00.000Z';
const at = (seconds: number) => new Date(Date.parse(t0) + seconds * 1000).toISOString();
const user = (now = t0) => ({ commandId: 'c', now, actorId: 'u-1' });
const system = (now = t0) => ({ commandId: 'c', now, actorId: SYSTEM_ACTOR });

const source = { type: 'git' as const, repoUrl: '/srv/repo', branch: 'main', commitSha: null, buildPath: './', dockerfile: 'Dockerfile' };
const created: DeploymentEvent = {
  type: 'DeploymentCreated',
  data: {
    deploymentId: 'd-1',
    applicationId: 'a-1',
    projectId: 'p-1',
    ownerId: 'u-1',
    kind: 'deploy',
    source,
    force: false,
    previousDeploymentId: null,
    commit: null,
    createdAt: t0,
  },
};
const started: DeploymentEvent = { type: 'DeploymentStarted', data: { deploymentId: 'd-1', applicationId: 'a-1', workerId: 'w-1', attempt: 1, startedAt: at(1) } };
const cloning: DeploymentEvent = { type: 'DeploymentStageStarted', data: { deploymentId: 'd-1', stage: 'cloning', startedAt: at(1) } };

function given(events: DeploymentEvent[]) {
  const state = () => fold(deploymentDecider, events);
  return {
    state,
    when(command: DeploymentCommand) {
      const run = () => deploymentDecider.decide(command, state());
      return {
        // DeploymentProgressed follows many decisions; progress.spec.ts checks it.
        then: (expected: DeploymentEvent[]) => expect(run().filter((e) => e.type !== 'DeploymentProgressed')).toEqual(expected),
        thenThrows: (code: string) => {
          let thrown: unknown;
          try {
            run();
          } catch (e) {
            thrown = e;
          }
          expect(thrown).toBeInstanceOf(AppError);
          expect((thrown as AppError).code).toBe(code);
        },
      };
    },
  };
}

describe('deployment decider', () => {
  it('queues a deployment as pending', () => {
    const { type: _t, data } = created;
    const { createdAt: _c, ...command } = data as any;
    given([]).when({ type: 'CreateDeployment', data: command, metadata: user() }).then([created]);
    expect(given([created]).state()).toMatchObject({ status: 'pending', branch: 'main', attempt: 0 });
  });

  it('rejects a malformed commit sha', () => {
    const { createdAt: _c, ...data } = created.data as any;
    given([])
      .when({ type: 'CreateDeployment', data: { ...data, source: { ...source, commitSha: 'not-a-sha' } }, metadata: user() })
      .thenThrows('VALIDATION_ERROR');
  });

  it('starts only a pending deployment, counting attempts', () => {
    given([created]).when({ type: 'StartDeployment', data: { deploymentId: 'd-1', workerId: 'w-1' }, metadata: system(at(1)) }).then([started]);
    given([created, started]).when({ type: 'StartDeployment', data: { deploymentId: 'd-1', workerId: 'w-2' }, metadata: system() }).thenThrows('CONFLICT');
    expect(given([created, started]).state()).toMatchObject({ status: 'cloning', workerId: 'w-1', attempt: 1 });
  });

  it('starts an image deployment straight into deploying, in one decision with the same rules', () => {
    const skip = [
      { stage: 'cloning' as const, reason: 'image' },
      { stage: 'building' as const, reason: 'image' },
    ];
    given([created])
      .when({ type: 'StartDeployment', data: { deploymentId: 'd-1', workerId: 'w-1', skip, enter: 'deploying' }, metadata: system(at(1)) })
      .then([
        started,
        { type: 'DeploymentStageSkipped', data: { deploymentId: 'd-1', stage: 'cloning', reason: 'image', at: at(1) } },
        { type: 'DeploymentStageSkipped', data: { deploymentId: 'd-1', stage: 'building', reason: 'image', at: at(1) } },
        { type: 'DeploymentStageStarted', data: { deploymentId: 'd-1', stage: 'deploying', startedAt: at(1) } },
      ]);
    // Entering deploying without skipping the stages before it breaks the order.
    given([created]).when({ type: 'StartDeployment', data: { deploymentId: 'd-1', workerId: 'w-1', enter: 'deploying' }, metadata: system() }).thenThrows('CONFLICT');
  });

  it('succeeding completes a running deploying stage in the same decision', () => {
    const deploying: DeploymentEvent[] = [
      created,
      started,
      { type: 'DeploymentStageSkipped', data: { deploymentId: 'd-1', stage: 'cloning', reason: 'image', at: at(1) } },
      { type: 'DeploymentStageSkipped', data: { deploymentId: 'd-1', stage: 'building', reason: 'image', at: at(1) } },
      { type: 'DeploymentStageStarted', data: { deploymentId: 'd-1', stage: 'deploying', startedAt: at(2) } },
    ];
    given(deploying)
      .when({ type: 'SucceedDeployment', data: { deploymentId: 'd-1', image: 'img:1' }, metadata: system(at(3)) })
      .then([
        { type: 'DeploymentStageCompleted', data: { deploymentId: 'd-1', stage: 'deploying', finishedAt: at(3), durationMs: 1000 } },
        { type: 'DeploymentSucceeded', data: { deploymentId: 'd-1', applicationId: 'a-1', projectId: 'p-1', image: 'img:1', finishedAt: at(3), durationMs: 2000 } },
      ]);
  });

  it('runs the stages in order, with durations from the command clock', () => {
    given([created, started]).when({ type: 'StartStage', data: { deploymentId: 'd-1', stage: 'building' }, metadata: system() }).thenThrows('CONFLICT');
    given([created, started, cloning])
      .when({ type: 'CompleteStage', data: { deploymentId: 'd-1', stage: 'cloning' }, metadata: system(at(16)) })
      .then([{ type: 'DeploymentStageCompleted', data: { deploymentId: 'd-1', stage: 'cloning', finishedAt: at(16), durationMs: 15_000 } }]);
    const afterClone: DeploymentEvent = { type: 'DeploymentStageCompleted', data: { deploymentId: 'd-1', stage: 'cloning', finishedAt: at(16), durationMs: 15_000 } };
    expect(given([created, started, cloning, afterClone]).state()).toMatchObject({ status: 'building' });
  });

  it('succeeds only once the deploying stage has run', () => {
    given([created, started]).when({ type: 'SucceedDeployment', data: { deploymentId: 'd-1', image: 'img:1' }, metadata: system() }).thenThrows('CONFLICT');
    const history: DeploymentEvent[] = [
      created,
      started,
      { type: 'DeploymentStageSkipped', data: { deploymentId: 'd-1', stage: 'cloning', reason: 'image', at: at(1) } },
      { type: 'DeploymentStageSkipped', data: { deploymentId: 'd-1', stage: 'building', reason: 'image', at: at(1) } },
      { type: 'DeploymentStageStarted', data: { deploymentId: 'd-1', stage: 'deploying', startedAt: at(1) } },
      { type: 'DeploymentStageCompleted', data: { deploymentId: 'd-1', stage: 'deploying', finishedAt: at(5), durationMs: 4000 } },
    ];
    given(history)
      .when({ type: 'SucceedDeployment', data: { deploymentId: 'd-1', image: 'img:1' }, metadata: system(at(5)) })
      .then([{ type: 'DeploymentSucceeded', data: { deploymentId: 'd-1', applicationId: 'a-1', projectId: 'p-1', image: 'img:1', finishedAt: at(5), durationMs: 4000 } }]);
  });

  it('fails with the running stage and its reason, and marks that stage failed', () => {
    const failed: DeploymentEvent = {
      type: 'DeploymentFailed',
      data: { deploymentId: 'd-1', applicationId: 'a-1', projectId: 'p-1', stage: 'cloning', reason: 'no such branch', finishedAt: at(3), durationMs: 2000 },
    };
    given([created, started, cloning]).when({ type: 'FailDeployment', data: { deploymentId: 'd-1', reason: 'no such branch' }, metadata: system(at(3)) }).then([failed]);
    const state = given([created, started, cloning, failed]).state();
    expect(state).toMatchObject({ status: 'failed', error: 'no such branch', stages: { cloning: { status: 'failed', durationMs: 2000 } } });
    given([created, started, cloning, failed]).when({ type: 'FailDeployment', data: { deploymentId: 'd-1', reason: 'again' }, metadata: system() }).thenThrows('CONFLICT');
  });

  it('cancels a queued deployment at once and asks the worker to stop a running one', () => {
    given([created])
      .when({ type: 'RequestCancel', data: { deploymentId: 'd-1' }, metadata: user(at(2)) })
      .then([
        {
          type: 'DeploymentCancelled',
          data: { deploymentId: 'd-1', applicationId: 'a-1', projectId: 'p-1', stage: null, reason: 'Cancelled before it started', finishedAt: at(2), durationMs: null },
        },
      ]);
    given([created, started, cloning])
      .when({ type: 'RequestCancel', data: { deploymentId: 'd-1' }, metadata: user(at(2)) })
      .then([{ type: 'DeploymentCancelRequested', data: { deploymentId: 'd-1', requestedBy: 'u-1', requestedAt: at(2) } }]);
    const requested: DeploymentEvent = { type: 'DeploymentCancelRequested', data: { deploymentId: 'd-1', requestedBy: 'u-1', requestedAt: at(2) } };
    given([created, started, cloning, requested]).when({ type: 'RequestCancel', data: { deploymentId: 'd-1' }, metadata: user() }).then([]);
    given([created, started, cloning, requested])
      .when({ type: 'ConfirmCancel', data: { deploymentId: 'd-1', reason: 'Cancelled by u-1' }, metadata: system(at(4)) })
      .then([
        {
          type: 'DeploymentCancelled',
          data: { deploymentId: 'd-1', applicationId: 'a-1', projectId: 'p-1', stage: 'cloning', reason: 'Cancelled by u-1', finishedAt: at(4), durationMs: 3000 },
        },
      ]);
  });

  it('cannot cancel a deployment that does not exist or has finished', () => {
    given([]).when({ type: 'RequestCancel', data: { deploymentId: 'd-1' }, metadata: user() }).thenThrows('RESOURCE_NOT_FOUND');
    const cancelled: DeploymentEvent = {
      type: 'DeploymentCancelled',
      data: { deploymentId: 'd-1', applicationId: 'a-1', projectId: 'p-1', stage: null, reason: 'x', finishedAt: t0, durationMs: null },
    };
    given([created, cancelled]).when({ type: 'RequestCancel', data: { deploymentId: 'd-1' }, metadata: user() }).thenThrows('CONFLICT');
  });

  it('resumes a deployment whose worker died from the first stage, with the next attempt', () => {
    given([created, started, cloning])
      .when({ type: 'ResumeDeployment', data: { deploymentId: 'd-1', workerId: 'w-2', reason: 'worker w-1 stopped' }, metadata: system(at(9)) })
      .then([
        {
          type: 'DeploymentResumed',
          data: { deploymentId: 'd-1', applicationId: 'a-1', workerId: 'w-2', previousWorkerId: 'w-1', stage: 'cloning', attempt: 2, reason: 'worker w-1 stopped', resumedAt: at(9) },
        },
      ]);
    const resumed: DeploymentEvent = {
      type: 'DeploymentResumed',
      data: { deploymentId: 'd-1', applicationId: 'a-1', workerId: 'w-2', previousWorkerId: 'w-1', stage: 'cloning', attempt: 2, reason: 'x', resumedAt: at(9) },
    };
    expect(given([created, started, cloning, resumed]).state()).toMatchObject({ status: 'cloning', workerId: 'w-2', attempt: 2, stages: { cloning: { status: 'pending' } } });
  });

  it('puts a deployment interrupted by the engine back in the queue', () => {
    const requeued: DeploymentEvent = {
      type: 'DeploymentRequeued',
      data: { deploymentId: 'd-1', applicationId: 'a-1', stage: 'cloning', reason: 'engine gone', requeuedAt: at(3) },
    };
    given([created, started, cloning]).when({ type: 'RequeueDeployment', data: { deploymentId: 'd-1', reason: 'engine gone' }, metadata: system(at(3)) }).then([requeued]);
    expect(given([created, started, cloning, requeued]).state()).toMatchObject({ status: 'pending', workerId: null, attempt: 1 });
  });
});
