import { AppError } from '@slipway/core';
import type { WebhookProvider } from '@slipway/webhooks-contracts';

/** What a push means to Slipway, whichever provider sent it. */
export type Incoming =
  | { kind: 'ping' }
  | { kind: 'push'; branch: string; commitSha: string; deleted: boolean }
  | { kind: 'tag'; ref: string }
  /** A pull (GitHub) or merge (GitLab) request: `deploy` its head commit as a preview, `close` it, or nothing (`other`). */
  | { kind: 'pull-request'; action: 'deploy' | 'close' | 'other'; actionName: string; number: number; branch: string; baseBranch: string; commitSha: string }
  | { kind: 'other'; event: string };

export interface ParsedDelivery {
  provider: WebhookProvider;
  event: string;
  deliveryId: string | null;
  /** Every URL the payload names for its repository (https, ssh, clone). */
  repoUrls: string[];
  incoming: Incoming;
}

const ZERO_SHA = /^0{40}$/;

function parseBody(body: Buffer, contentType: string): Record<string, unknown> {
  let text = body.toString('utf8');
  // GitHub's form content type: the JSON is the `payload` field.
  if (/^application\/x-www-form-urlencoded/i.test(contentType)) {
    const payload = new URLSearchParams(text).get('payload');
    if (payload === null) throw new AppError('INVALID_INPUT', "A form-encoded webhook needs its JSON in the 'payload' field", { field: 'payload' });
    text = payload;
  }
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // falls through to the error below
  }
  throw new AppError('INVALID_INPUT', 'The webhook body is not a JSON object', { field: 'body' });
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);
const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {});

function refToIncoming(ref: string | null, sha: string | null, deleted: boolean, event: string): Incoming {
  if (ref?.startsWith('refs/tags/')) return { kind: 'tag', ref };
  if (!ref?.startsWith('refs/heads/')) return { kind: 'other', event };
  return { kind: 'push', branch: ref.slice('refs/heads/'.length), commitSha: sha ?? '', deleted: deleted || !sha || ZERO_SHA.test(sha) };
}

export function parseGithub(body: Buffer, headers: Record<string, string>): ParsedDelivery {
  const event = headers['x-github-event'] ?? '';
  if (!event) throw new AppError('INVALID_INPUT', 'X-GitHub-Event header is missing', { field: 'X-GitHub-Event' });
  const payload = parseBody(body, headers['content-type'] ?? '');
  const repo = obj(payload.repository);
  const repoUrls = [repo.clone_url, repo.ssh_url, repo.html_url, repo.git_url, repo.url].map(str).filter((u): u is string => u !== null);
  let incoming: Incoming;
  if (event === 'ping') incoming = { kind: 'ping' };
  else if (event === 'push') incoming = refToIncoming(str(payload.ref), str(payload.after), payload.deleted === true, event);
  else if (event === 'pull_request') incoming = githubPullRequest(payload);
  else incoming = { kind: 'other', event };
  return { provider: 'github', event, deliveryId: str(headers['x-github-delivery']), repoUrls, incoming };
}

export function parseGitlab(body: Buffer, headers: Record<string, string>): ParsedDelivery {
  const event = headers['x-gitlab-event'] ?? '';
  if (!event) throw new AppError('INVALID_INPUT', 'X-Gitlab-Event header is missing', { field: 'X-Gitlab-Event' });
  const payload = parseBody(body, 'application/json');
  const project = obj(payload.project);
  const repository = obj(payload.repository);
  const repoUrls = [project.git_http_url, project.git_ssh_url, project.web_url, repository.git_http_url, repository.git_ssh_url]
    .map(str)
    .filter((u): u is string => u !== null);
  let incoming: Incoming;
  if (event === 'Push Hook') incoming = refToIncoming(str(payload.ref), str(payload.checkout_sha) ?? str(payload.after), false, event);
  else if (event === 'Tag Push Hook') incoming = { kind: 'tag', ref: str(payload.ref) ?? '' };
  else if (event === 'Merge Request Hook') incoming = gitlabMergeRequest(payload);
  else incoming = { kind: 'other', event };
  const deliveryId = str(headers['x-gitlab-event-uuid']) ?? str(headers['idempotency-key']);
  return { provider: 'gitlab', event, deliveryId, repoUrls, incoming };
}

const GITHUB_DEPLOY_ACTIONS = new Set(['opened', 'reopened', 'synchronize']);

/** GitHub documents `number`, `pull_request.head.{ref,sha}` and `pull_request.base.ref`; `closed` covers merged too. */
function githubPullRequest(payload: Record<string, unknown>): Incoming {
  const pr = obj(payload.pull_request);
  const action = str(payload.action) ?? '';
  const number = typeof payload.number === 'number' ? payload.number : Number(pr.number);
  return {
    kind: 'pull-request',
    action: GITHUB_DEPLOY_ACTIONS.has(action) ? 'deploy' : action === 'closed' ? 'close' : 'other',
    actionName: action,
    number: Number.isInteger(number) ? number : 0,
    branch: str(obj(pr.head).ref) ?? '',
    baseBranch: str(obj(pr.base).ref) ?? '',
    commitSha: str(obj(pr.head).sha) ?? '',
  };
}

/**
 * GitLab's `object_attributes`: `iid`, `source_branch`, `target_branch`,
 * `last_commit.id` and `action` (open, reopen, update, close, merge). An
 * `update` without `oldrev` changed the title or labels, not the commits.
 */
function gitlabMergeRequest(payload: Record<string, unknown>): Incoming {
  const mr = obj(payload.object_attributes);
  const action = str(mr.action) ?? '';
  const deploy = action === 'open' || action === 'reopen' || (action === 'update' && str(mr.oldrev) !== null);
  const number = Number(mr.iid);
  return {
    kind: 'pull-request',
    action: deploy ? 'deploy' : action === 'close' || action === 'merge' ? 'close' : 'other',
    actionName: action,
    number: Number.isInteger(number) ? number : 0,
    branch: str(mr.source_branch) ?? '',
    baseBranch: str(mr.target_branch) ?? '',
    commitSha: str(obj(mr.last_commit).id) ?? '',
  };
}
