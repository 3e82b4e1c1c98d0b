import { randomBytes } from 'node:crypto';
import { AppError, commandMetadata, type RequestContext } from '@slipway/core';
import {
  repositoryKey,
  type ApplicationAction,
  type RotateWebhookSecretResponse,
  type WebhookTarget,
  type WebhookTargetsRequest,
} from '@slipway/deployments-contracts';
import type { DeploymentsApplication } from './deployments-app';
import type { ActiveApplication } from './aggregates';

/**
 * What the webhooks service may know of applications: which ones build from
 * a repository, and their webhook secrets (decrypted here, the only holder of
 * the key). Asked over NATS, so the webhooks service never reads these tables.
 */
export async function webhookTargets(app: DeploymentsApplication, req: WebhookTargetsRequest): Promise<{ targets: WebhookTarget[] }> {
  if (typeof req?.repoKey !== 'string' || req.repoKey.length === 0) return { targets: [] };
  const rows: Array<{ id: string; team_id: string; state: ActiveApplication }> = await app.store.dataSource.query(
    `SELECT id, team_id, state FROM "${app.schema}".applications
      WHERE deleted_at IS NULL AND state->'config'->'gitSource' IS NOT NULL AND jsonb_typeof(state->'config'->'gitSource') = 'object'`,
  );
  const targets: WebhookTarget[] = [];
  for (const row of rows) {
    const git = row.state.config.gitSource;
    if (!git || repositoryKey(git.repoUrl) !== req.repoKey) continue;
    let webhookSecret: string | null = null;
    if (git.webhookSecret) {
      try {
        webhookSecret = app.secrets.decrypt(git.webhookSecret);
      } catch {
        // A secret that no longer decrypts (key changed) verifies nothing.
        webhookSecret = null;
      }
    }
    targets.push({ applicationId: row.id, teamId: row.team_id, branch: git.branch, autoDeploy: git.autoDeploy !== false, previews: row.state.config.previews?.enabled === true, webhookSecret });
  }
  return { targets };
}

/** A new random secret, stored encrypted; the plaintext is only in this answer. */
export async function rotateWebhookSecret(app: DeploymentsApplication, req: ApplicationAction, ctx: RequestContext): Promise<RotateWebhookSecretResponse> {
  const current = await app.getApplication({ scope: req.scope, applicationId: req.applicationId });
  const state = await app.aggregates.loadApplication(req.applicationId);
  const git = state.status === 'active' ? state.config.gitSource : null;
  if (!git) {
    throw new AppError('INVALID_INPUT', 'Webhooks apply to applications built from git; this one runs an image', { field: 'gitSource' });
  }
  const webhookSecret = randomBytes(32).toString('base64url');
  await app.executeApplication(current.id, ctx, undefined, {
    type: 'UpdateApplication',
    data: { applicationId: current.id, changes: { gitSource: { ...git, webhookSecret: app.secrets.encrypt(webhookSecret) } }, envVarsSet: [], envVarsRemoved: [] },
    metadata: commandMetadata(ctx, req.actorId),
  });
  return { applicationId: current.id, webhookSecret };
}
