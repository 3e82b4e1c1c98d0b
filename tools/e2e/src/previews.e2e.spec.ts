import examples from '@octokit/webhooks-examples';
import { sign } from '@octokit/webhooks-methods';
import type { DockerClient } from '@slipway/docker';
import { startTestPlatform, type TestPlatform } from './harness';
import { TestRepo, cleanEngine, engine, httpText, until } from './docker-fixtures';

/**
 * Previews end to end on the real engine: GitHub's example pull_request
 * payload (@octokit/webhooks-examples), aimed at a local repository and
 * signed by @octokit/webhooks-methods. Opened → the PR's head commit serves
 * from its own service while the main service keeps serving main; closed → gone.
 */
let t: TestPlatform;
let docker: DockerClient;
let owner: { token: string; userId: string };
let projectId: string;
let repo: TestRepo;
const logs: string[] = [];
const SECRET = 'webhook-secret-for-preview-tests';

beforeAll(async () => {
  docker = await engine();
  t = await startTestPlatform(logs, { SLIPWAY_DEPLOY_STABLE_MS: '1000', SLIPWAY_DEPLOY_TIMEOUT_MS: '60000' });
  owner = await t.user();
  const project = await t.api('POST', '/api/projects', { token: owner.token, body: { name: 'previews' } });
  if (project.status !== 201) throw new Error(`project: ${project.status} ${JSON.stringify(project.body)}`);
  projectId = project.body.id;
  repo = new TestRepo('previewed');
  repo.commit('main version', TestRepo.site('main site\n'));
}, 180_000);

afterAll(async () => {
  await t?.stop();
  if (t) await cleanEngine(docker, t.instance).catch(() => undefined);
  repo?.remove();
  docker?.close();
});

const api = (method: string, path: string, body?: unknown) => t.api(method, path, { token: owner.token, body });

async function github(event: string, body: string) {
  const headers = {
    'content-type': 'application/json',
    'x-github-event': event,
    'x-github-delivery': crypto.randomUUID(),
    'x-hub-signature-256': await sign(SECRET, body),
  };
  return t.api('POST', '/api/webhooks/github', { raw: body, headers });
}

/** The example pull_request with this action, aimed at the local repository: PR #7 from `feature` into main. */
function pullRequest(action: string, sha: string): string {
  const group = (examples as any[]).find((e) => e.name === 'pull_request');
  const pr = structuredClone(group.examples.find((e: any) => e.action === action));
  pr.number = 7;
  pr.pull_request.number = 7;
  pr.pull_request.head.ref = 'feature';
  pr.pull_request.head.sha = sha;
  pr.pull_request.base.ref = 'main';
  for (const key of ['clone_url', 'ssh_url', 'git_url', 'html_url', 'url']) pr.repository[key] = repo.dir;
  return JSON.stringify(pr);
}

async function finished(deploymentId: string): Promise<any> {
  return until(`deployment ${deploymentId} to finish`, async () => {
    const d = await api('GET', `/api/deployments/${deploymentId}`);
    return ['success', 'failed', 'cancelled'].includes(d.body.status) ? d.body : undefined;
  }, 120_000);
}

describe('previews of pull requests', () => {
  it('opened → its own service serves the PR; the main service is untouched; closed → gone', async () => {
    const created = await api('POST', '/api/applications', {
      name: 'previewed',
      projectId,
      gitSource: { repoUrl: repo.dir, branch: 'main', webhookSecret: SECRET },
      ports: [{ containerPort: 8080 }],
      previews: { enabled: true },
    });
    expect({ status: created.status, body: created.status === 201 ? 'ok' : created.body }).toEqual({ status: 201, body: 'ok' });
    expect(created.body.previews).toEqual({ enabled: true });
    const appId = created.body.id as string;
    const main = await api('POST', `/api/applications/${appId}/deploy`, {});
    expect((await finished(main.body.deploymentId)).status).toBe('success');
    const mainPort = await until('the main service to publish its port', async () => (await api('GET', `/api/applications/${appId}`)).body.ports[0].publishedPort);
    expect(await until('main to serve', () => httpText(mainPort))).toBe('main site\n');

    repo.git('checkout', '-q', '-b', 'feature');
    const sha = repo.commit('the pull request', TestRepo.site('preview site\n'));
    repo.git('checkout', '-q', 'main');

    const opened = await github('pull_request', pullRequest('opened', sha));
    expect(opened.status).toBe(202);
    expect(opened.body).toMatchObject({ deploymentId: expect.any(String), status: 'queued', preview: { number: 7 } });
    expect(await finished(opened.body.deploymentId)).toMatchObject({ status: 'success', commitSha: sha });

    const previews = (await api('GET', `/api/applications/${appId}/previews`)).body.data;
    expect(previews).toEqual([
      expect.objectContaining({ number: 7, branch: 'feature', commitSha: sha, status: 'running', deploymentId: opened.body.deploymentId, serviceName: `${created.body.serviceName}-pr-7` }),
    ]);
    const previewPort = previews[0].ports[0].publishedPort as number;
    expect(await until('the preview to serve', () => httpText(previewPort))).toBe('preview site\n');

    // The main service: same deployment, same content.
    const after = (await api('GET', `/api/applications/${appId}`)).body;
    expect(after.runningDeploymentId).toBe(main.body.deploymentId);
    expect(after.lastDeployment.id).toBe(main.body.deploymentId);
    expect(await httpText(mainPort)).toBe('main site\n');

    const closed = await github('pull_request', pullRequest('closed', sha));
    expect(closed.status).toBe(202);
    expect(closed.body).toMatchObject({ status: 'closed', number: 7 });
    expect((await api('GET', `/api/applications/${appId}/previews`)).body.data).toEqual([]);
    await until('the preview service to be removed', async () => (await docker.inspectService(previews[0].serviceName)) === undefined);
    expect(await httpText(mainPort)).toBe('main site\n');
  }, 360_000);

  it('an application without previews ignores pull requests', async () => {
    const created = await api('POST', '/api/applications', { name: 'no-previews', projectId, gitSource: { repoUrl: `file://${repo.dir}`, branch: 'main', webhookSecret: SECRET } });
    expect(created.status).toBe(201);
    expect(created.body.previews).toEqual({ enabled: false });
    const res = await github('pull_request', pullRequest('opened', repo.git('rev-parse', 'feature')));
    expect(res.status).toBe(202);
    // The first application (previews on) of this repository still gets the preview; this one gets nothing.
    expect((await api('GET', `/api/applications/${created.body.id}/previews`)).body.data).toEqual([]);
    expect((await api('GET', `/api/applications/${created.body.id}/deployments`)).body.data).toEqual([]);
  });
});
