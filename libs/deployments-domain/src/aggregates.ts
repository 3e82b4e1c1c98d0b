import type { EntityManager } from 'typeorm';
import { observeStageDuration } from './metrics';
import { AppError, commandMetadata, fold, type RequestContext } from '@slipway/core';
import { handleCommand, type EventStore, type RecordedEvent } from '@slipway/event-store';
import {
  applicationStreamId,
  deploymentStreamId,
  isUuid,
  type ApplicationCommand,
  type ApplicationEvent,
  type ApplicationView,
  type DeploymentCommand,
  type DeploymentEvent,
  type DeploymentStatus,
  previewStreamId,
  type PreviewCommand,
  type PreviewEvent,
} from '@slipway/deployments-contracts';
import { previewDecider, type PreviewState } from './preview.decider';
import { SYSTEM_ACTOR, applicationDecider, type ApplicationData, type ApplicationState } from './application.decider';
import { deploymentDecider, type DeploymentData, type DeploymentState } from './deployment.decider';
import { applicationView } from './views';

export type ActiveApplication = { status: 'active' } & ApplicationData;
export type ExistingDeployment = { status: DeploymentStatus } & DeploymentData;

/**
 * The deployments service's aggregates — application-<uuid> and
 * deployment-<uuid> streams — as one repository: load (fold the stream),
 * decide and append (optimistic concurrency, idempotency by command id).
 * The API layer (DeploymentsApplication), the worker and the reconciler all
 * change state through it, so none of them calls into another to do so.
 */
export class Aggregates {
  /** Highest global position appended through this repository; reads of the read models wait for it (read-your-writes). */
  private appended = 0;

  constructor(
    private readonly store: EventStore,
    /** Runs in the append transaction of application events (the per-project name reservations). */
    private readonly onApplicationEvents: (tx: EntityManager, recorded: RecordedEvent[]) => Promise<void> = async () => undefined,
  ) {}

  get lastAppended(): number {
    return this.appended;
  }

  async loadApplication(applicationId: string): Promise<ApplicationState> {
    if (!isUuid(applicationId)) return { status: 'absent' };
    const { events } = await this.store.readStream(applicationStreamId(applicationId));
    return fold(applicationDecider, events.map((e) => ({ type: e.type, data: e.data }) as ApplicationEvent));
  }

  async loadPreview(applicationId: string, number: number): Promise<PreviewState> {
    if (!isUuid(applicationId) || !Number.isInteger(number)) return { status: 'absent' };
    const { events } = await this.store.readStream(previewStreamId(applicationId, number));
    return fold(previewDecider, events.map((e) => ({ type: e.type, data: e.data }) as PreviewEvent));
  }

  /** Decides and appends on preview-<application>-<number>; answers with the preview after the command. */
  async executePreview(ctx: RequestContext, command: PreviewCommand): Promise<PreviewState> {
    const { applicationId, number } = command.data;
    if (!isUuid(applicationId)) throw AppError.notFound('application', applicationId);
    const outcome = await handleCommand(this.store, previewDecider, previewStreamId(applicationId, number), command, {
      requestHash: ctx.requestHash,
      result: (state: PreviewState) => state,
    });
    this.appended = Math.max(this.appended, outcome.position);
    return outcome.result;
  }

  async loadDeployment(deploymentId: string): Promise<DeploymentState> {
    if (!isUuid(deploymentId)) return { status: 'absent' };
    const { events } = await this.store.readStream(deploymentStreamId(deploymentId));
    return fold(deploymentDecider, events.map((e) => ({ type: e.type, data: e.data }) as DeploymentEvent));
  }

  /** A command the service gives itself (worker, reconciler): the system actor, no request behind it. */
  system<C extends ApplicationCommand | DeploymentCommand>(type: C['type'], data: C['data']): C {
    return { type, data, metadata: commandMetadata({}, SYSTEM_ACTOR) } as C;
  }

  async handleApplication<R>(
    applicationId: string,
    ctx: RequestContext,
    expectedVersion: number | undefined,
    command: ApplicationCommand,
    result: (state: ActiveApplication, events: ApplicationEvent[], version: number) => R,
  ): Promise<R> {
    if (!isUuid(applicationId)) throw AppError.notFound('application', applicationId);
    const outcome = await handleCommand(this.store, applicationDecider, applicationStreamId(applicationId), command, {
      expectedVersion,
      requestHash: ctx.requestHash,
      result: (state: ApplicationState, events, version) => {
        if (state.status === 'absent') throw new Error('a command result was computed for an application that does not exist');
        return result(state as ActiveApplication, events, version);
      },
      inTransaction: (tx, recorded) => this.onApplicationEvents(tx, recorded),
    });
    this.appended = Math.max(this.appended, outcome.position);
    return outcome.result;
  }

  /** Decides and appends; answers with the application as it stands after the command (without what lives outside its stream). */
  executeApplication(applicationId: string, ctx: RequestContext, expectedVersion: number | undefined, command: ApplicationCommand): Promise<ApplicationView> {
    return this.handleApplication(applicationId, ctx, expectedVersion, command, (state, _events, version) =>
      applicationView(state, version, { lastDeployment: null, usage: null }),
    );
  }

  async executeDeployment(deploymentId: string, ctx: RequestContext, command: DeploymentCommand): Promise<ExistingDeployment> {
    if (!isUuid(deploymentId)) throw AppError.notFound('deployment', deploymentId);
    const outcome = await handleCommand(this.store, deploymentDecider, deploymentStreamId(deploymentId), command, {
      requestHash: ctx.requestHash,
      result: (state: DeploymentState, events) => {
        if (state.status === 'absent') throw new Error('a command result was computed for a deployment that does not exist');
        for (const e of events) if (e.type === 'DeploymentStageCompleted') observeStageDuration(e.data.stage, e.data.durationMs);
        return state;
      },
    });
    this.appended = Math.max(this.appended, outcome.position);
    return outcome.result as ExistingDeployment;
  }
}
