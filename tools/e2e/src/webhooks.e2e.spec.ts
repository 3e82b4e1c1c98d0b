import examples from '@octokit/webhooks-examples';
import { sign } from '@octokit/webhooks-methods';
import type { DockerClient } from '@slipway/docker';
import { startTestPlatform, type TestPlatform } from './harness';
import { TestRepo, cleanEngine, engine, until } from './docker-fixtures';

/**
 * Git pushes deploy, driven by GitHub's own example payloads
 * (@octokit/webhooks-examples) signed by GitHub's own library
 * (@octokit/webhooks-methods), on the real engine with a local repository.
 */
let t: TestPlatform;
let docker: DockerClient;
let owner: { token: string; userId: string };
let projectId: string;
let repo: TestRepo;
const logs: string[] = [];
const SECRET = 'webhook-secret-for-e2e-tests';

function example(name: string, pick: (e: any) => boolean = () => true): any {
  const group = (examples as any[]).find((e) => e.name === name);
  return structuredClone(group.examples.find(pick));
}

beforeAll(async () => {
  docker = await engine();
  t = await startTestPlatform(logs, { SLIPWAY_DEPLOY_STABLE_MS: '1000', SLIPWAY_DEPLOY_TIMEOUT_MS: '60000' });
  owner = await t.user();
  const project = await t.api('POST', '/api/projects', { token: owner.token, body: { name: 'hooks' } });
  projectId = project.body.id;
  repo = new TestRepo('hooked');
  repo.commit('first version', TestRepo.site('one\n'));
}, 180_000);

afterAll(async () => {
  await t?.stop();
  if (t) await cleanEngine(docker, t.instance).catch(() => undefined);
  repo?.remove();
  docker?.close();
});

const api = (method: string, path: string, body?: unknown) => t.api(method, path, { token: owner.token, body });

async function createApp(name: string, gitSource: Record<string, unknown>): Promise<any> {
  const res = await api('POST', '/api/applications', { name, projectId, gitSource });
  expect(res.status).toBe(201);
  return res.body;
}

/** POSTs a GitHub delivery as GitHub does: the exact bytes it signed. */
async function github(event: string, body: string, opts: { secret?: string; signature?: string | null; delivery?: string; contentType?: string } = {}) {
  const headers: Record<string, string> = {
    'content-type': opts.contentType ?? 'application/json',
    'x-github-event': event,
    'x-github-delivery': opts.delivery ?? crypto.randomUUID(),
    'user-agent': 'GitHub-Hookshot/e2e',
  };
  const signature = opts.signature === undefined ? await sign(opts.secret ?? SECRET, body) : opts.signature;
  if (signature !== null) headers['x-hub-signature-256'] = signature;
  return t.api('POST', '/api/webhooks/github', { raw: body, headers });
}

/** The example push, aimed at the local repository and a new commit on main. */
function pushOf(sha: string, message: string): string {
  const push = example('push', (e) => e.ref === 'refs/heads/master' && !e.deleted);
  push.ref = 'refs/heads/main';
  push.after = sha;
  push.head_commit = { ...push.head_commit, id: sha, message };
  for (const key of ['clone_url', 'ssh_url', 'git_url', 'html_url', 'url']) push.repository[key] = repo.dir;
  // Pretty-printed with odd spacing on purpose: only the exact bytes verify.
  return JSON.stringify(push, null, 3);
}

async function deploymentsOf(appId: string): Promise<any[]> {
  return (await api('GET', `/api/applications/${appId}/deployments`)).body.data;
}

describe('incoming GitHub webhooks', () => {
  let appId: string;
  let octocoders: string;

  it('a signed push deploys exactly the pushed commit; reads show the settings, never the secret', async () => {
    const app = await createApp('hooked', { repoUrl: repo.dir, branch: 'main', webhookSecret: SECRET });
    appId = app.id;
    expect(app.gitSource).toMatchObject({ autoDeploy: true, webhookSecretSet: true, webhookUrls: { github: '/api/webhooks/github', gitlab: '/api/webhooks/gitlab' } });
    expect(JSON.stringify(app)).not.toContain(SECRET);

    const sha = repo.commit('second version', TestRepo.site('two\n'));
    repo.commit('third version, not pushed yet', TestRepo.site('three\n'));
    const res = await github('push', pushOf(sha, 'second version'));
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ deploymentId: expect.any(String), status: 'queued' });

    const done = await until('the webhook deployment to finish', async () => {
      const d = await api('GET', `/api/deployments/${res.body.deploymentId}`);
      return ['success', 'failed', 'cancelled'].includes(d.body.status) ? d.body : undefined;
    }, 120_000);
    expect(done).toMatchObject({ status: 'success', applicationId: appId, commitSha: sha, commitMessage: 'second version', author: 'Dev Eloper <dev@example.com>' });
    expect(JSON.stringify((await api('GET', `/api/applications/${appId}`)).body)).not.toContain(SECRET);
  }, 180_000);

  it('the same delivery twice deploys once and answers the same', async () => {
    const sha = repo.commit('fourth version', TestRepo.site('four\n'));
    const body = pushOf(sha, 'fourth version');
    const delivery = crypto.randomUUID();
    const before = (await deploymentsOf(appId)).length;
    const first = await github('push', body, { delivery });
    const again = await github('push', body, { delivery });
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect((await deploymentsOf(appId)).length).toBe(before + 1);

    const deliveries = await until('deliveries to be listed', async () => {
      const list = (await api('GET', `/api/applications/${appId}/webhook-deliveries`)).body.data;
      return list.filter((d: any) => d.deliveryId === delivery).length === 2 ? list : undefined;
    });
    const mine = deliveries.filter((d: any) => d.deliveryId === delivery);
    expect(mine.map((d: any) => d.outcome)).toEqual(['duplicate', 'deployed']);
    expect(mine[1]).toMatchObject({ provider: 'github', event: 'push', deploymentIds: [first.body.deploymentId] });
  });

  it('a forged or missing signature is 401 in the error format and deploys nothing', async () => {
    const sha = repo.commit('forged version', TestRepo.site('forged\n'));
    const body = pushOf(sha, 'forged version');
    const before = (await deploymentsOf(appId)).length;
    const forged = await github('push', body, { secret: 'not-the-webhook-secret-at-all' });
    expect(forged.status).toBe(401);
    expect(forged.body.error).toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringContaining('X-Hub-Signature-256'), requestId: expect.any(String) });
    const unsigned = await github('push', body, { signature: null });
    expect(unsigned.status).toBe(401);
    // Signed for other bytes: the same JSON re-serialized does not verify.
    const reserialized = await github('push', JSON.stringify(JSON.parse(body)), { signature: await sign(SECRET, body) });
    expect(reserialized.status).toBe(401);
    expect((await deploymentsOf(appId)).length).toBe(before);
  });

  it('GitHub form content type (payload=) is accepted with the signature over the form body', async () => {
    const app = await createApp('hooked-off', { repoUrl: `file://${repo.dir}`, branch: 'main', webhookSecret: SECRET, autoDeploy: false });
    const sha = repo.git('rev-parse', 'HEAD');
    const form = `payload=${encodeURIComponent(pushOf(sha, 'x'))}`;
    const res = await github('push', form, { contentType: 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(202);
    // Two applications of this repository: one deploys, the one with auto-deploy off does not.
    expect(res.body).toEqual({ deploymentId: expect.any(String), status: 'queued' });
    expect(await deploymentsOf(app.id)).toHaveLength(0);
  });

  it('a push to another branch is ignored, a branch deletion deploys nothing', async () => {
    const before = (await deploymentsOf(appId)).length;
    const other = JSON.parse(pushOf(repo.git('rev-parse', 'HEAD'), 'x'));
    other.ref = 'refs/heads/feature';
    const res = await github('push', JSON.stringify(other));
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ status: 'ignored', reason: expect.stringContaining("'feature'") });

    const deletion = example('push', (e) => e.deleted && e.after === '0000000000000000000000000000000000000000');
    deletion.ref = 'refs/heads/main';
    for (const key of ['clone_url', 'ssh_url', 'git_url', 'html_url', 'url']) deletion.repository[key] = repo.dir;
    const deleted = await github('push', JSON.stringify(deletion));
    expect(deleted.status).toBe(202);
    expect(deleted.body.status).toBe('ignored');
    expect((await deploymentsOf(appId)).length).toBe(before);
  });

  it("GitHub's own payloads match an application by any form of its URL; ping answers 200; an unknown repository is 404", async () => {
    // The example's repository is https://github.com/Codertocat/Hello-World.git: the app names it in ssh form.
    await createApp('hello-world', { repoUrl: 'git@github.com:Codertocat/Hello-World.git', branch: 'master', webhookSecret: SECRET, autoDeploy: false });
    const push = JSON.stringify(example('push', (e) => e.ref === 'refs/heads/master'));
    const res = await github('push', push);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ status: 'ignored', reason: expect.stringContaining('Auto-deploy is off') });

    octocoders = (await createApp('octocoders', { repoUrl: 'https://github.com/Octocoders/Hello-World', webhookSecret: SECRET })).id;
    const ping = await github('ping', JSON.stringify(example('ping')));
    expect(ping.status).toBe(200);

    const unknown = example('push', (e) => e.ref === 'refs/heads/master');
    unknown.repository.clone_url = 'https://github.com/nobody/nothing.git';
    for (const key of ['ssh_url', 'git_url', 'html_url', 'url']) delete unknown.repository[key];
    const missing = await github('push', JSON.stringify(unknown));
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('RESOURCE_NOT_FOUND');
  });

  it('a generated secret is shown once and then verifies', async () => {
    const rotated = await api('POST', `/api/applications/${octocoders}/webhook-secret`);
    expect(rotated.status).toBe(201);
    expect(rotated.body).toMatchObject({ applicationId: octocoders, webhookSecret: expect.any(String), webhookUrls: { github: expect.stringMatching(/\/api\/webhooks\/github$/) } });
    const fresh = rotated.body.webhookSecret as string;
    const read = await api('GET', `/api/applications/${octocoders}`);
    expect(read.body.gitSource.webhookSecretSet).toBe(true);
    expect(JSON.stringify(read.body)).not.toContain(fresh);
    const ping = JSON.stringify(example('ping'));
    expect((await github('ping', ping)).status).toBe(401);
    expect((await github('ping', ping, { secret: fresh })).status).toBe(200);
  });
});

describe('incoming GitLab webhooks', () => {
  it('X-Gitlab-Token is compared with the secret; Push Hook deploys, Tag Push Hook is ignored, redeliveries are harmless', async () => {
    const gitlabRepo = new TestRepo('gitlabbed');
    try {
      const sha = gitlabRepo.commit('gitlab version', TestRepo.site('gitlab\n'));
      const app = await createApp('gitlabbed', { repoUrl: gitlabRepo.dir, branch: 'main', webhookSecret: SECRET });
      // Shape as GitLab documents its Push Hook.
      const payload = {
        object_kind: 'push', event_name: 'push', before: '0000000000000000000000000000000000000000', after: sha, ref: 'refs/heads/main',
        checkout_sha: sha, user_name: 'Dev Eloper', project: { name: 'gitlabbed', git_http_url: gitlabRepo.dir, git_ssh_url: gitlabRepo.dir },
        commits: [{ id: sha, message: 'gitlab version', author: { name: 'Dev Eloper', email: 'dev@example.com' } }], total_commits_count: 1,
      };
      const send = (event: string, body: unknown, token: string | null, uuid = crypto.randomUUID()) =>
        t.api('POST', '/api/webhooks/gitlab', {
          raw: JSON.stringify(body),
          headers: { 'content-type': 'application/json', 'x-gitlab-event': event, 'x-gitlab-event-uuid': uuid, ...(token ? { 'x-gitlab-token': token } : {}) },
        });
      expect((await send('Push Hook', payload, null)).status).toBe(401);
      expect((await send('Push Hook', payload, 'wrong-token-of-the-same-len')).status).toBe(401);
      const tag = await send('Tag Push Hook', { ...payload, object_kind: 'tag_push', ref: 'refs/tags/v1' }, SECRET);
      expect(tag.status).toBe(202);
      expect(tag.body.status).toBe('ignored');
      const uuid = crypto.randomUUID();
      const res = await send('Push Hook', payload, SECRET, uuid);
      expect(res.status).toBe(202);
      expect(res.body.status).toBe('queued');
      expect((await send('Push Hook', payload, SECRET, uuid)).body).toEqual(res.body);
      expect(await deploymentsOf(app.id)).toHaveLength(1);
      const d = (await deploymentsOf(app.id))[0];
      expect(d.id).toBe(res.body.deploymentId);
    } finally {
      gitlabRepo.remove();
    }
  });
});
