import { AppError, assertNever, type Decider } from '@slipway/core';
import {
  ACTIVE_DEPLOYMENT_STATUSES,
  STAGES,
  type CommitInfo,
  type DeploymentCommand,
  type DeploymentEvent,
  type DeploymentKind,
  type DeploymentSource,
  type DeploymentStatus,
  type PreviewRef,
  type StageName,
  type StageStatus,
} from '@slipway/deployments-contracts';
import { deploymentProgress, progressMessage, type StageSteps } from './progress';
import { Issues, checkCommitSha, checkImage, normalizeGitSource } from './validation';

export interface StageState {
  status: StageStatus;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
}

export interface DeploymentData {
  deploymentId: string;
  applicationId: string;
  projectId: string;
  ownerId: string;
  kind: DeploymentKind;
  source: DeploymentSource;
  force: boolean;
  previousDeploymentId: string | null;
  commit: CommitInfo | null;
  /** A preview's deployment runs as the preview's service, never the main one. */
  preview: PreviewRef | null;
  branch: string | null;
  image: string | null;
  workerId: string | null;
  /** How many times a worker started it (resumes and restarts after a requeue count). */
  attempt: number;
  /** Starts after a worker died mid-way. */
  resumes: number;
  cancelRequested: boolean;
  stages: Record<StageName, StageState>;
  /** 0-100, the highest figure shown so far (absent from states stored before progress existed). */
  progress: number;
  /** Steps counted in the running stage. */
  steps: StageSteps | null;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export type DeploymentState = { status: 'absent' } | ({ status: DeploymentStatus } & DeploymentData);
type Existing = { status: DeploymentStatus } & DeploymentData;

export const initialDeploymentState = (): DeploymentState => ({ status: 'absent' });

export const isActive = (status: DeploymentStatus | 'absent'): boolean => (ACTIVE_DEPLOYMENT_STATUSES as readonly string[]).includes(status);
export const isFinished = (status: DeploymentStatus | 'absent'): boolean => status === 'success' || status === 'failed' || status === 'cancelled';

const freshStages = (): Record<StageName, StageState> => ({
  cloning: { status: 'pending', startedAt: null, finishedAt: null, durationMs: null },
  building: { status: 'pending', startedAt: null, finishedAt: null, durationMs: null },
  deploying: { status: 'pending', startedAt: null, finishedAt: null, durationMs: null },
});

const msBetween = (from: string | null, to: string): number | null => (from ? Math.max(0, Date.parse(to) - Date.parse(from)) : null);

/** The stage running now, if any. */
export function runningStage(s: Pick<DeploymentData, 'stages'>): StageName | null {
  return STAGES.find((name) => s.stages[name].status === 'running') ?? null;
}

/** The status a started deployment shows between stages: the stage it is in or about to enter. */
function activeStatus(stages: Record<StageName, StageState>): DeploymentStatus {
  return STAGES.find((name) => stages[name].status === 'running' || stages[name].status === 'pending') ?? 'deploying';
}

function requireExisting(state: DeploymentState, deploymentId: string): Existing {
  if (state.status === 'absent') throw AppError.notFound('deployment', deploymentId);
  return state;
}

function requireActive(state: DeploymentState, deploymentId: string, what: string): Existing {
  if (state.status === 'absent') throw AppError.notFound('deployment', deploymentId);
  if (!isActive(state.status)) throw AppError.conflict(`Cannot ${what}: deployment '${deploymentId}' is ${state.status}`, { status: state.status });
  return state;
}

function validateSource(source: DeploymentSource, issues: Issues): void {
  if (source.type === 'image') checkImage(source.image, issues);
  else {
    normalizeGitSource(source, issues, 'source');
    if (source.commitSha !== null) checkCommitSha(source.commitSha, issues);
  }
}

/**
 * The decision, followed by a DeploymentProgressed whenever it changes what a
 * watcher sees (status or progress): the figure comes from the stages and the
 * steps counted in the running one, never from a clock, and never goes down.
 */
export function decideDeployment(command: DeploymentCommand, state: DeploymentState): DeploymentEvent[] {
  if (command.type === 'RecordProgress') {
    const s = requireActive(state, command.data.deploymentId, 'record progress');
    const { stage, done, total } = command.data;
    if (s.stages[stage].status !== 'running') throw AppError.conflict(`Stage '${stage}' is ${s.stages[stage].status}, not running`);
    const steps: StageSteps = { stage, done: Math.max(0, Math.min(done, total)), total: Math.max(0, total) };
    return progressed(s, { ...s, steps }, command.metadata.now, true);
  }
  const events = decideCore(command, state);
  if (events.length === 0) return events;
  const after = events.reduce(evolveDeployment, state);
  if (after.status === 'absent') return events;
  return [...events, ...progressed(state, after, command.metadata.now, false)];
}

function progressed(before: DeploymentState, after: Existing, now: string, onlyIfHigher: boolean): DeploymentEvent[] {
  const shown = before.status === 'absent' ? -1 : (before.progress ?? 0);
  const steps = after.steps && after.stages[after.steps.stage].status === 'running' ? after.steps : null;
  const progress = Math.max(shown, deploymentProgress(after.status, after.stages, steps));
  const statusChanged = before.status !== after.status;
  if (progress <= shown && (onlyIfHigher || !statusChanged)) return [];
  const stage = runningStage(after) ?? (isFinished(after.status) || after.status === 'pending' ? null : (after.status as StageName));
  return [
    {
      type: 'DeploymentProgressed',
      data: {
        deploymentId: after.deploymentId,
        applicationId: after.applicationId,
        projectId: after.projectId,
        status: after.status,
        stage,
        progress,
        steps: steps ? { done: steps.done, total: steps.total } : null,
        message: progressMessage(after.status, stage, steps, after.error),
        at: now,
      },
    },
  ];
}

function decideCore(command: Exclude<DeploymentCommand, { type: 'RecordProgress' }>, state: DeploymentState): DeploymentEvent[] {
  const { now, actorId } = command.metadata;
  const id = command.data.deploymentId;
  switch (command.type) {
    case 'CreateDeployment': {
      if (state.status !== 'absent') throw AppError.conflict(`Deployment '${id}' already exists`);
      const issues = new Issues();
      validateSource(command.data.source, issues);
      issues.throwIfAny();
      return [{ type: 'DeploymentCreated', data: { ...command.data, createdAt: now } }];
    }
    case 'StartDeployment': {
      const s = requireExisting(state, id);
      if (s.status !== 'pending') throw AppError.conflict(`Deployment '${id}' is ${s.status}, not pending`, { status: s.status });
      const events: DeploymentEvent[] = [
        { type: 'DeploymentStarted', data: { deploymentId: id, applicationId: s.applicationId, workerId: command.data.workerId, attempt: s.attempt + 1, startedAt: now } },
      ];
      // The same rules as SkipStage and StartStage, applied one after the other.
      const follow = (next: Exclude<DeploymentCommand, { type: 'RecordProgress' }>) => {
        const current = events.reduce(evolveDeployment, state);
        events.push(...decideCore(next, current));
      };
      for (const { stage, reason } of command.data.skip ?? []) follow({ type: 'SkipStage', data: { deploymentId: id, stage, reason }, metadata: command.metadata });
      if (command.data.enter) follow({ type: 'StartStage', data: { deploymentId: id, stage: command.data.enter }, metadata: command.metadata });
      return events;
    }
    case 'ResumeDeployment': {
      const s = requireActive(state, id, 'resume');
      return [
        {
          type: 'DeploymentResumed',
          data: {
            deploymentId: id,
            applicationId: s.applicationId,
            workerId: command.data.workerId,
            previousWorkerId: s.workerId,
            stage: runningStage(s),
            attempt: s.attempt + 1,
            reason: command.data.reason,
            resumedAt: now,
          },
        },
      ];
    }
    case 'RequeueDeployment': {
      const s = requireActive(state, id, 'requeue');
      return [{ type: 'DeploymentRequeued', data: { deploymentId: id, applicationId: s.applicationId, stage: runningStage(s), reason: command.data.reason, requeuedAt: now } }];
    }
    case 'StartStage': {
      const s = requireActive(state, id, `start ${command.data.stage}`);
      const { stage } = command.data;
      const index = STAGES.indexOf(stage);
      const open = STAGES.slice(0, index).find((earlier) => !['completed', 'skipped'].includes(s.stages[earlier].status));
      if (open) throw AppError.conflict(`Stage '${stage}' cannot start before '${open}' has finished`);
      if (s.stages[stage].status !== 'pending') throw AppError.conflict(`Stage '${stage}' is already ${s.stages[stage].status}`);
      return [{ type: 'DeploymentStageStarted', data: { deploymentId: id, stage, startedAt: now } }];
    }
    case 'CompleteStage': {
      const s = requireActive(state, id, `complete ${command.data.stage}`);
      const stage = s.stages[command.data.stage];
      if (stage.status !== 'running') throw AppError.conflict(`Stage '${command.data.stage}' is ${stage.status}, not running`);
      return [{ type: 'DeploymentStageCompleted', data: { deploymentId: id, stage: command.data.stage, finishedAt: now, durationMs: msBetween(stage.startedAt, now) ?? 0 } }];
    }
    case 'SkipStage': {
      const s = requireActive(state, id, `skip ${command.data.stage}`);
      if (s.stages[command.data.stage].status !== 'pending') throw AppError.conflict(`Stage '${command.data.stage}' is ${s.stages[command.data.stage].status}`);
      return [{ type: 'DeploymentStageSkipped', data: { deploymentId: id, stage: command.data.stage, reason: command.data.reason, at: now } }];
    }
    case 'RecordCommit':
      requireActive(state, id, 'record a commit');
      return [{ type: 'DeploymentCommitResolved', data: { ...command.data } }];
    case 'RecordImage':
      requireActive(state, id, 'record an image');
      return [{ type: 'DeploymentImageBuilt', data: { ...command.data } }];
    case 'SucceedDeployment': {
      const s = requireActive(state, id, 'succeed');
      const deploying = s.stages.deploying;
      if (deploying.status !== 'completed' && deploying.status !== 'running') {
        throw AppError.conflict('A deployment succeeds only once its deploying stage has run');
      }
      const completed: DeploymentEvent[] =
        deploying.status === 'running'
          ? [{ type: 'DeploymentStageCompleted', data: { deploymentId: id, stage: 'deploying', finishedAt: now, durationMs: msBetween(deploying.startedAt, now) ?? 0 } }]
          : [];
      return [
        ...completed,
        {
          type: 'DeploymentSucceeded',
          data: { deploymentId: id, applicationId: s.applicationId, projectId: s.projectId, image: command.data.image, finishedAt: now, durationMs: msBetween(s.startedAt, now) ?? 0 },
        },
      ];
    }
    case 'FailDeployment': {
      if (state.status === 'absent') throw AppError.notFound('deployment', id);
      if (isFinished(state.status)) throw AppError.conflict(`Deployment '${id}' is already ${state.status}`, { status: state.status });
      return [
        {
          type: 'DeploymentFailed',
          data: {
            deploymentId: id,
            applicationId: state.applicationId,
            projectId: state.projectId,
            stage: runningStage(state),
            reason: command.data.reason,
            finishedAt: now,
            durationMs: msBetween(state.startedAt, now),
          },
        },
      ];
    }
    case 'RequestCancel': {
      const s = requireExisting(state, id);
      if (isFinished(s.status)) throw AppError.conflict(`Deployment '${id}' has already finished (${s.status}); nothing to cancel`, { status: s.status });
      if (s.status === 'pending') {
        return [
          {
            type: 'DeploymentCancelled',
            data: { deploymentId: id, applicationId: s.applicationId, projectId: s.projectId, stage: null, reason: 'Cancelled before it started', finishedAt: now, durationMs: null },
          },
        ];
      }
      return s.cancelRequested ? [] : [{ type: 'DeploymentCancelRequested', data: { deploymentId: id, requestedBy: actorId, requestedAt: now } }];
    }
    case 'ConfirmCancel': {
      if (state.status === 'absent') throw AppError.notFound('deployment', id);
      if (isFinished(state.status)) return [];
      return [
        {
          type: 'DeploymentCancelled',
          data: {
            deploymentId: id,
            applicationId: state.applicationId,
            projectId: state.projectId,
            stage: runningStage(state),
            reason: command.data.reason,
            finishedAt: now,
            durationMs: msBetween(state.startedAt, now),
          },
        },
      ];
    }
    default:
      return assertNever(command, 'deployment command');
  }
}

export function evolveDeployment(state: DeploymentState, event: DeploymentEvent): DeploymentState {
  if (event.type === 'DeploymentCreated') {
    const d = event.data;
    return {
      status: 'pending',
      deploymentId: d.deploymentId,
      applicationId: d.applicationId,
      projectId: d.projectId,
      ownerId: d.ownerId,
      kind: d.kind,
      source: d.source,
      force: d.force,
      preview: d.preview ?? null,
      previousDeploymentId: d.previousDeploymentId,
      commit: d.commit,
      branch: d.source.type === 'git' ? d.source.branch : null,
      image: d.source.type === 'image' ? d.source.image : null,
      workerId: null,
      attempt: 0,
      resumes: 0,
      cancelRequested: false,
      stages: freshStages(),
      progress: 0,
      steps: null,
      error: null,
      createdAt: d.createdAt,
      startedAt: null,
      finishedAt: null,
    };
  }
  if (state.status === 'absent') return state;
  switch (event.type) {
    case 'DeploymentStarted':
      return { ...state, status: activeStatus(state.stages), workerId: event.data.workerId, attempt: event.data.attempt, startedAt: event.data.startedAt };
    case 'DeploymentResumed': {
      // Start over from the first stage: a half-done clone or build cannot be trusted.
      const stages = freshStages();
      return { ...state, status: activeStatus(stages), stages, workerId: event.data.workerId, attempt: event.data.attempt, resumes: state.resumes + 1 };
    }
    case 'DeploymentRequeued':
      return { ...state, status: 'pending', stages: freshStages(), workerId: null };
    case 'DeploymentStageStarted': {
      const stages = { ...state.stages, [event.data.stage]: { status: 'running', startedAt: event.data.startedAt, finishedAt: null, durationMs: null } };
      return { ...state, stages, status: event.data.stage };
    }
    case 'DeploymentStageCompleted': {
      const prev = state.stages[event.data.stage];
      const stages = { ...state.stages, [event.data.stage]: { ...prev, status: 'completed', finishedAt: event.data.finishedAt, durationMs: event.data.durationMs } };
      return { ...state, stages, status: activeStatus(stages) };
    }
    case 'DeploymentStageSkipped': {
      const stages = { ...state.stages, [event.data.stage]: { status: 'skipped', startedAt: null, finishedAt: null, durationMs: null } };
      return { ...state, stages, status: activeStatus(stages) };
    }
    case 'DeploymentCommitResolved':
      return {
        ...state,
        branch: event.data.branch ?? state.branch,
        commit: { sha: event.data.commitSha, message: event.data.commitMessage, author: event.data.author },
      };
    case 'DeploymentImageBuilt':
      return { ...state, image: event.data.image };
    case 'DeploymentSucceeded':
      return { ...state, status: 'success', image: event.data.image, finishedAt: event.data.finishedAt };
    case 'DeploymentFailed':
      return { ...state, status: 'failed', stages: closeStage(state.stages, event.data.stage, 'failed', event.data.finishedAt), error: event.data.reason, finishedAt: event.data.finishedAt };
    case 'DeploymentCancelRequested':
      return { ...state, cancelRequested: true };
    case 'DeploymentCancelled':
      return {
        ...state,
        status: 'cancelled',
        stages: closeStage(state.stages, event.data.stage, 'cancelled', event.data.finishedAt),
        error: event.data.reason,
        finishedAt: event.data.finishedAt,
      };
    case 'DeploymentProgressed':
      return {
        ...state,
        progress: Math.max(state.progress ?? 0, event.data.progress),
        steps: event.data.steps && event.data.stage ? { stage: event.data.stage, ...event.data.steps } : state.steps,
      };
    default:
      return assertNever(event, 'deployment event');
  }
}

/** The stage that was running when the deployment ended gets the end; the rest stay as they were. */
export function closeStage(
  stages: Record<StageName, StageState>,
  stage: StageName | null,
  status: 'failed' | 'cancelled',
  at: string,
): Record<StageName, StageState> {
  if (!stage) return stages;
  const prev = stages[stage];
  return { ...stages, [stage]: { ...prev, status, finishedAt: at, durationMs: msBetween(prev.startedAt, at) } };
}

export const deploymentDecider: Decider<DeploymentCommand, DeploymentEvent, DeploymentState> = {
  decide: decideDeployment,
  evolve: evolveDeployment,
  initialState: initialDeploymentState,
};
