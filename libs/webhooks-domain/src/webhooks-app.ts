import { randomUUID } from 'node:crypto';
import { AppError, commandMetadata, type RequestContext } from '@slipway/core';
import { handleCommand, ProjectionRunner, type EventStore } from '@slipway/event-store';
import {
  repositoryKey,
  type ClosePreviewRequest,
  type ClosePreviewResponse,
  type DeployPreviewRequest,
  type DeployPreviewResponse,
  type DeployRequest,
  type DeployResponse,
  type WebhookTarget,
} from '@slipway/deployments-contracts';
import type {
  DeliveryRecord,
  DeliveryView,
  ListDeliveriesRequest,
  ReceiveWebhookRequest,
  WebhookAnswer,
} from '@slipway/webhooks-contracts';
import { deliveryDecider, deliveryStreamId } from './delivery.decider';
import { deliveryListProjection } from './deliveries.projection';
import { endpointListProjection } from './endpoints.projection';
import { parseGithub, parseGitlab, type ParsedDelivery } from './payloads';
import { uuidFromName, verifyGithubSignature, verifyGitlabToken } from './signature';

/** The deployments service as the webhooks service sees it (its contracts, over NATS). */
export interface DeploymentsPort {
  targets(repoKey: string): Promise<WebhookTarget[]>;
  /** `commandId` makes the deploy idempotent on the deployments side too. */
  deploy(req: DeployRequest, commandId: string): Promise<DeployResponse>;
  deployPreview(req: DeployPreviewRequest, commandId: string): Promise<DeployPreviewResponse>;
  closePreview(req: ClosePreviewRequest, commandId: string): Promise<ClosePreviewResponse>;
}

/** Who the deployments service records as having asked. */
export const WEBHOOK_ACTOR = 'system:webhooks';

/**
 * The webhooks service's application layer: an incoming delivery is parsed,
 * matched to applications through the deployments contracts, verified with
 * each application's secret, deduplicated by the sender's delivery id (one
 * event stream per delivery) and turned into deploys of the pushed commit.
 */
export class WebhooksApplication {
  readonly runner: ProjectionRunner;
  private lastAppended = 0;

  constructor(
    private readonly store: EventStore,
    private readonly deployments: DeploymentsPort,
    /** Verified deliveries per application per hour (`SLIPWAY_WEBHOOK_APP_LIMIT_PER_HOUR`); 0: no limit. */
    private readonly perApplicationHourlyLimit = 1000,
  ) {
    this.runner = new ProjectionRunner(store, [deliveryListProjection(store.schema), endpointListProjection(store.schema)]);
  }

  async start(): Promise<void> {
    await this.runner.start();
  }

  async stop(): Promise<void> {
    await this.runner.stop();
  }

  async receive(req: ReceiveWebhookRequest, ctx: RequestContext): Promise<WebhookAnswer> {
    if (typeof req?.bodyBase64 !== 'string') throw new AppError('INVALID_INPUT', 'The webhook has no body', { field: 'body' });
    const body = Buffer.from(req.bodyBase64, 'base64');
    const headers = req.headers ?? {};
    const parsed = req.provider === 'gitlab' ? parseGitlab(body, headers) : parseGithub(body, headers);

    const targets = await this.targetsFor(parsed);
    if (targets.length === 0) {
      throw new AppError('RESOURCE_NOT_FOUND', `No application builds from this repository (${parsed.repoUrls[0] ?? 'none named in the payload'})`, {
        resourceType: 'application',
        repository: parsed.repoUrls[0] ?? null,
      });
    }
    const verified = targets.filter((t) => t.webhookSecret !== null && this.verifies(parsed, body, headers, t.webhookSecret));
    if (verified.length === 0) {
      const reason = `${parsed.provider === 'github' ? 'X-Hub-Signature-256' : 'X-Gitlab-Token'} is missing or does not verify with the webhook secret of any application of this repository`;
      // Keyed by a fresh id, not the delivery id: a forgery must not block the real delivery.
      await this.record(randomUUID(), ctx, { ...this.recordOf(parsed, 'rejected', reason, targets.map((t) => t.applicationId), []), answer: { statusCode: 401, body: {} } });
      throw new AppError('UNAUTHORIZED', reason);
    }

    await this.enforceApplicationLimit(verified);

    const streamKey = parsed.deliveryId ? uuidFromName(`${parsed.provider}:${parsed.deliveryId}`) : randomUUID();
    const first = await this.store.readStream(deliveryStreamId(streamKey));
    if (first.events.length > 0) {
      const original = first.events[0].data as DeliveryRecord;
      await this.record(streamKey, ctx, { ...original, answer: original.answer }, `${randomUUID()}`);
      return original.answer;
    }

    const { outcome, reason, deployed, answer } = await this.act(parsed, verified, streamKey);
    await this.record(streamKey, ctx, {
      ...this.recordOf(parsed, outcome, reason, verified.map((t) => t.applicationId), deployed.map((d) => d.deploymentId)),
      answer,
    });
    return answer;
  }

  async listDeliveries(req: ListDeliveriesRequest): Promise<{ data: DeliveryView[] }> {
    await this.runner.waitFor(this.lastAppended);
    const rows: Array<{ provider: string; event: string; delivery_id: string; received_at: Date; outcome: string; reason: string | null; deployment_ids: string[] }> =
      await this.store.dataSource.query(
        `SELECT provider, event, delivery_id, received_at, outcome, reason, deployment_ids FROM "${this.store.schema}".deliveries
          WHERE application_id = $1 ORDER BY position DESC LIMIT $2`,
        [req.applicationId, Math.min(Math.max(Number(req.limit) || 20, 1), 100)],
      );
    return {
      data: rows.map((r) => ({
        provider: r.provider as DeliveryView['provider'],
        event: r.event,
        deliveryId: r.delivery_id,
        receivedAt: new Date(r.received_at).toISOString(),
        outcome: r.outcome as DeliveryView['outcome'],
        reason: r.reason,
        deploymentIds: r.deployment_ids,
      })),
    };
  }

  /**
   * Counted once the signature verifies, so forgeries cannot use up an
   * application's budget; counted from the deliveries read model (recorded
   * deliveries of the last hour, duplicates included), and a refused delivery
   * is not recorded, so the sender's retry later is not taken for a duplicate.
   */
  private async enforceApplicationLimit(verified: WebhookTarget[]): Promise<void> {
    const limit = this.perApplicationHourlyLimit;
    if (!(limit > 0)) return;
    await this.runner.waitFor(this.lastAppended);
    const since = new Date(Date.now() - 3_600_000).toISOString();
    for (const t of verified) {
      const rows: { n: number }[] = await this.store.dataSource.query(
        `SELECT count(*)::int AS n FROM (SELECT 1 FROM "${this.store.schema}".deliveries
          WHERE application_id = $1 AND outcome <> 'rejected' AND received_at > $2 LIMIT $3) recent`,
        [t.applicationId, since, limit],
      );
      if (rows[0].n >= limit) {
        throw new AppError('RATE_LIMIT_EXCEEDED', `Application ${t.applicationId} received ${limit} webhook deliveries in the last hour; try again later`, {
          applicationId: t.applicationId,
          limit,
          windowSeconds: 3600,
        });
      }
    }
  }

  private async targetsFor(parsed: ParsedDelivery): Promise<WebhookTarget[]> {
    const keys = [...new Set(parsed.repoUrls.map(repositoryKey))];
    const byId = new Map<string, WebhookTarget>();
    for (const key of keys) for (const t of await this.deployments.targets(key)) byId.set(t.applicationId, t);
    return [...byId.values()];
  }

  private verifies(parsed: ParsedDelivery, body: Buffer, headers: Record<string, string>, secret: string): boolean {
    return parsed.provider === 'github'
      ? verifyGithubSignature(body, headers['x-hub-signature-256'], secret)
      : verifyGitlabToken(headers['x-gitlab-token'], secret);
  }

  private async act(
    parsed: ParsedDelivery,
    verified: WebhookTarget[],
    streamKey: string,
  ): Promise<{ outcome: DeliveryRecord['outcome']; reason: string | null; deployed: DeployResponse[]; answer: WebhookAnswer }> {
    const ignored = (reason: string) => ({ outcome: 'ignored' as const, reason, deployed: [], answer: { statusCode: 202, body: { status: 'ignored', reason } } });
    const { incoming } = parsed;
    switch (incoming.kind) {
      case 'ping':
        return { outcome: 'ignored', reason: 'ping', deployed: [], answer: { statusCode: 200, body: { status: 'ok', event: 'ping' } } };
      case 'tag':
        return ignored(`Tag pushes do not deploy (${incoming.ref})`);
      case 'other':
        return ignored(`The '${incoming.event}' event does not deploy`);
      case 'pull-request':
        return this.actOnPullRequest(incoming, verified, streamKey);
      case 'push': {
        if (incoming.deleted) return ignored(`Branch '${incoming.branch}' was deleted; nothing to deploy`);
        const onBranch = verified.filter((t) => t.branch === incoming.branch);
        if (onBranch.length === 0) return ignored(`No application deploys branch '${incoming.branch}' of this repository`);
        const auto = onBranch.filter((t) => t.autoDeploy);
        if (auto.length === 0) return ignored(`Auto-deploy is off for every application on branch '${incoming.branch}'`);
        const deployed: DeployResponse[] = [];
        for (const t of auto) {
          deployed.push(
            await this.deployments.deploy(
              { actorId: WEBHOOK_ACTOR, scope: { teamIds: [t.teamId] }, applicationId: t.applicationId, commitSha: incoming.commitSha },
              uuidFromName(`${streamKey}:${t.applicationId}`),
            ),
          );
        }
        const body: Record<string, unknown> = { deploymentId: deployed[0].deploymentId, status: 'queued' };
        if (deployed.length > 1) body.deployments = deployed.map((d) => ({ applicationId: d.applicationId, deploymentId: d.deploymentId, status: 'queued' }));
        return { outcome: 'deployed', reason: null, deployed, answer: { statusCode: 202, body } };
      }
    }
  }

  /** Previews: only applications with previews on whose branch the request targets; never their main service. */
  private async actOnPullRequest(
    pr: Extract<ParsedDelivery['incoming'], { kind: 'pull-request' }>,
    verified: WebhookTarget[],
    streamKey: string,
  ): Promise<{ outcome: DeliveryRecord['outcome']; reason: string | null; deployed: DeployResponse[]; answer: WebhookAnswer }> {
    const ignored = (reason: string) => ({ outcome: 'ignored' as const, reason, deployed: [], answer: { statusCode: 202, body: { status: 'ignored', reason } } });
    if (pr.action === 'other') return ignored(`Pull request action '${pr.actionName}' does not change previews`);
    if (!(pr.number > 0)) return ignored('The pull request has no number');
    const targets = verified.filter((t) => t.previews && t.branch === pr.baseBranch);
    if (targets.length === 0) return ignored(`No application with previews enabled deploys branch '${pr.baseBranch}' of this repository`);
    if (pr.action === 'close') {
      for (const t of targets) {
        await this.deployments.closePreview(
          { actorId: WEBHOOK_ACTOR, scope: { teamIds: [t.teamId] }, applicationId: t.applicationId, number: pr.number, reason: pr.actionName },
          uuidFromName(`${streamKey}:${t.applicationId}:close`),
        );
      }
      const body = { status: 'closed', number: pr.number, previews: targets.map((t) => ({ applicationId: t.applicationId, number: pr.number })) };
      return { outcome: 'ignored', reason: `Preview #${pr.number} closed (${pr.actionName})`, deployed: [], answer: { statusCode: 202, body } };
    }
    if (!pr.commitSha || !pr.branch) return ignored('The pull request names no head branch or commit');
    const deployed: DeployResponse[] = [];
    for (const t of targets) {
      const r = await this.deployments.deployPreview(
        { actorId: WEBHOOK_ACTOR, scope: { teamIds: [t.teamId] }, applicationId: t.applicationId, number: pr.number, branch: pr.branch, commitSha: pr.commitSha },
        uuidFromName(`${streamKey}:${t.applicationId}:preview`),
      );
      deployed.push({ deploymentId: r.deploymentId, applicationId: r.applicationId, status: 'pending', queuePosition: null, estimatedTime: null, previousDeploymentId: null });
    }
    const body: Record<string, unknown> = { deploymentId: deployed[0].deploymentId, status: 'queued', preview: { number: pr.number } };
    if (deployed.length > 1) body.deployments = deployed.map((d) => ({ applicationId: d.applicationId, deploymentId: d.deploymentId, status: 'queued' }));
    return { outcome: 'deployed', reason: null, deployed, answer: { statusCode: 202, body } };
  }

  private recordOf(parsed: ParsedDelivery, outcome: DeliveryRecord['outcome'], reason: string | null, applicationIds: string[], deploymentIds: string[]): Omit<DeliveryRecord, 'answer'> {
    return { provider: parsed.provider, deliveryId: parsed.deliveryId ?? '', event: parsed.event, outcome, reason, applicationIds, deploymentIds };
  }

  private async record(streamKey: string, ctx: RequestContext, data: DeliveryRecord, commandId = uuidFromName(`record:${streamKey}`)): Promise<void> {
    const result = await handleCommand(
      this.store,
      deliveryDecider,
      deliveryStreamId(streamKey),
      { type: 'RecordDelivery', data, metadata: commandMetadata({ ...ctx, commandId }, WEBHOOK_ACTOR) },
      { result: () => ({}) },
    );
    this.lastAppended = Math.max(this.lastAppended, result.position);
  }
}
