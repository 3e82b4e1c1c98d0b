import examples from '@octokit/webhooks-examples';
import { parseGithub, parseGitlab } from './payloads';

const pushes = (examples as any[]).find((e) => e.name === 'push').examples as any[];
const branchPush = pushes.find((e) => e.ref === 'refs/heads/master' && !e.deleted);
const headers = (event: string, contentType = 'application/json') => ({ 'x-github-event': event, 'x-github-delivery': 'd-1', 'content-type': contentType });

describe('parsing GitHub deliveries (GitHub’s example payloads)', () => {
  it('given a push to a branch, then branch, commit and every repository URL', () => {
    const parsed = parseGithub(Buffer.from(JSON.stringify(branchPush)), headers('push'));
    expect(parsed.incoming).toEqual({ kind: 'push', branch: 'master', commitSha: branchPush.after, deleted: false });
    expect(parsed.repoUrls).toEqual(expect.arrayContaining([branchPush.repository.clone_url, branchPush.repository.ssh_url]));
    expect(parsed.deliveryId).toBe('d-1');
  });

  it('given the form content type, then the JSON comes from payload=', () => {
    const form = `payload=${encodeURIComponent(JSON.stringify(branchPush))}`;
    expect(parseGithub(Buffer.from(form), headers('push', 'application/x-www-form-urlencoded')).incoming).toMatchObject({ kind: 'push', branch: 'master' });
  });

  it('given a tag push or a deleted ref, then no branch deploy', () => {
    const tag = pushes.find((e) => e.ref.startsWith('refs/tags/') && !e.deleted);
    expect(parseGithub(Buffer.from(JSON.stringify(tag)), headers('push')).incoming.kind).toBe('tag');
    const deleted = { ...pushes.find((e) => e.deleted), ref: 'refs/heads/gone' };
    expect(parseGithub(Buffer.from(JSON.stringify(deleted)), headers('push')).incoming).toMatchObject({ kind: 'push', deleted: true });
  });

  it('given a body that is not JSON or no event header, then INVALID_INPUT', () => {
    expect(() => parseGithub(Buffer.from('nope'), headers('push'))).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => parseGithub(Buffer.from('{}'), {})).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});

describe('parsing GitLab deliveries', () => {
  it('given a Push Hook, then checkout_sha and the project URLs; a Tag Push Hook is a tag', () => {
    const body = { ref: 'refs/heads/main', checkout_sha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7', project: { git_http_url: 'http://example.com/mike/diaspora.git', git_ssh_url: 'git@example.com:mike/diaspora.git' } };
    const parsed = parseGitlab(Buffer.from(JSON.stringify(body)), { 'x-gitlab-event': 'Push Hook', 'x-gitlab-event-uuid': 'u-1' });
    expect(parsed.incoming).toEqual({ kind: 'push', branch: 'main', commitSha: body.checkout_sha, deleted: false });
    expect(parsed.repoUrls).toEqual([body.project.git_http_url, body.project.git_ssh_url]);
    expect(parsed.deliveryId).toBe('u-1');
    expect(parseGitlab(Buffer.from(JSON.stringify({ ...body, ref: 'refs/tags/v1' })), { 'x-gitlab-event': 'Tag Push Hook' }).incoming.kind).toBe('tag');
  });
});

describe('pull and merge requests (previews)', () => {
  const prs = (examples as any[]).find((e) => e.name === 'pull_request').examples as any[];

  it('given GitHub pull_request opened/synchronize/closed examples, then deploy the head commit or close', () => {
    const opened = prs.find((e) => e.action === 'opened');
    expect(parseGithub(Buffer.from(JSON.stringify(opened)), headers('pull_request')).incoming).toEqual({
      kind: 'pull-request',
      action: 'deploy',
      actionName: 'opened',
      number: opened.number,
      branch: opened.pull_request.head.ref,
      baseBranch: opened.pull_request.base.ref,
      commitSha: opened.pull_request.head.sha,
    });
    const closed = prs.find((e) => e.action === 'closed');
    expect(parseGithub(Buffer.from(JSON.stringify(closed)), headers('pull_request')).incoming).toMatchObject({ action: 'close', number: closed.number });
    const labeled = prs.find((e) => !['opened', 'reopened', 'synchronize', 'closed'].includes(e.action));
    expect(parseGithub(Buffer.from(JSON.stringify(labeled)), headers('pull_request')).incoming).toMatchObject({ action: 'other' });
  });

  it('given a GitLab Merge Request Hook (fields as GitLab documents them), then open/update-with-commits deploy and merge closes', () => {
    const mr = (action: string, extra: Record<string, unknown> = {}) =>
      parseGitlab(
        Buffer.from(
          JSON.stringify({
            object_kind: 'merge_request',
            project: { git_http_url: 'http://example.com/gitlabhq/gitlab-test.git' },
            object_attributes: { iid: 1, source_branch: 'ms-viewport', target_branch: 'master', action, last_commit: { id: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7' }, ...extra },
          }),
        ),
        { 'x-gitlab-event': 'Merge Request Hook' },
      ).incoming;
    expect(mr('open')).toEqual({ kind: 'pull-request', action: 'deploy', actionName: 'open', number: 1, branch: 'ms-viewport', baseBranch: 'master', commitSha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7' });
    expect(mr('update')).toMatchObject({ action: 'other' });
    expect(mr('update', { oldrev: 'ae73cb07c9eeaf35924a10f713b364d32b2dd34f' })).toMatchObject({ action: 'deploy' });
    expect(mr('merge')).toMatchObject({ action: 'close' });
  });
});
