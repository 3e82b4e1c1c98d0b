import { deciderSpec, fold } from '@slipway/core';
import { previewServiceName, type PreviewCommand, type PreviewEvent } from '@slipway/deployments-contracts';
import { previewDecider } from './preview.decider';

const t0 = '2026-01-01T00:00:00.000Z';
const meta = { commandId: 'c', now: t0, actorId: 'system:webhooks' };
const spec = deciderSpec(previewDecider);
const deploy = (over: Partial<Extract<PreviewCommand, { type: 'DeployPreview' }>['data']> = {}): PreviewCommand => ({
  type: 'DeployPreview',
  data: { applicationId: 'a-1', number: 7, branch: 'feature', serviceName: 'web-pr-7', deploymentId: 'd-1', commitSha: 'a'.repeat(40), previewsEnabled: true, ...over },
  metadata: meta,
});
const close: PreviewCommand = { type: 'ClosePreview', data: { applicationId: 'a-1', number: 7, reason: 'closed' }, metadata: meta };
const opened: PreviewEvent = { type: 'PreviewOpened', data: { applicationId: 'a-1', number: 7, branch: 'feature', serviceName: 'web-pr-7', openedAt: t0 } };
const requested = (deploymentId: string): PreviewEvent => ({
  type: 'PreviewDeploymentRequested',
  data: { applicationId: 'a-1', number: 7, deploymentId, commitSha: 'a'.repeat(40), branch: 'feature', requestedAt: t0 },
});
const closed: PreviewEvent = { type: 'PreviewClosed', data: { applicationId: 'a-1', number: 7, serviceName: 'web-pr-7', reason: 'closed', closedAt: t0 } };

describe('preview decider', () => {
  it('opens a preview and asks for its first deployment', () => {
    expect(spec.given([]).when(deploy()).events()).toEqual([opened, requested('d-1')]);
  });

  it('a synchronize on an open preview only asks for another deployment', () => {
    expect(spec.given([opened, requested('d-1')]).when(deploy({ deploymentId: 'd-2' })).events()).toEqual([requested('d-2')]);
  });

  it('reopening a closed preview opens it again', () => {
    expect(spec.given([opened, requested('d-1'), closed]).when(deploy({ deploymentId: 'd-2' })).events()).toEqual([opened, requested('d-2')]);
  });

  it('refuses when previews are off for the application', () => {
    expect(spec.given([]).when(deploy({ previewsEnabled: false })).error().code).toBe('CONFLICT');
  });

  it('refuses a number that is not a positive integer', () => {
    expect(spec.given([]).when(deploy({ number: 0 })).error().code).toBe('INVALID_INPUT');
  });

  it('closes an open preview; closing again (or what never opened) decides nothing', () => {
    expect(spec.given([opened, requested('d-1')]).when(close).events()).toEqual([closed]);
    expect(spec.given([opened, requested('d-1'), closed]).when(close).events()).toEqual([]);
    expect(spec.given([]).when(close).events()).toEqual([]);
  });

  it('keeps every deployment and the latest commit', () => {
    const state = fold(previewDecider, [opened, requested('d-1'), closed, opened, requested('d-2')]);
    expect(state).toMatchObject({ status: 'open', deploymentIds: ['d-1', 'd-2'], serviceName: 'web-pr-7' });
  });
});

describe('previewServiceName', () => {
  it('is <service>-pr-<number>, at most 63 characters, keeping the id suffix', () => {
    expect(previewServiceName('inst-web-1a2b3c4d', 12)).toBe('inst-web-1a2b3c4d-pr-12');
    const long = `${'x'.repeat(54)}-1a2b3c4d`;
    const name = previewServiceName(long, 123456);
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name.endsWith('-1a2b3c4d-pr-123456')).toBe(true);
  });
});
