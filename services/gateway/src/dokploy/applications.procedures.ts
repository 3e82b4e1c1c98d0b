import { AppError } from '@slipway/core';
import type { ApplicationView } from '@slipway/deployments-contracts';
import { CreateApplicationDto, DeployDto, UpdateApplicationDto } from '../applications/applications.dto';
import { NO_REPLY, mutation, query, type Backend, type Call, type Procedure } from './backend';
import { placeOf } from './environments';
import { optionalNumber, optionalString, optionalText, parseEnv, requiredString } from './input';
import { presentApplication, presentDeployment } from './shapes';

/** application.* and deployment.all: /api/applications and its actions. */
export const APPLICATION_PROCEDURES: Record<string, Procedure> = {
  'application.create': mutation(async (b, call) => {
    const place = await placeOf(b, call);
    // Dokploy's `appName` is the slug (the Swarm service's name); `name` is a label. Slipway's one name is the slug.
    const name = optionalText(call.input, 'appName', 200) ?? requiredString(call.input, 'name');
    const body = await b.dto(CreateApplicationDto, { name, projectId: place.projectId, environmentId: place.environmentId });
    return presentApplication((await b.applications.create(body, call.user, call.req, NO_REPLY)) as unknown as ApplicationView);
  }),

  'application.one': query(async (b, call) => presentApplication(await readApp(b, call))),

  'application.update': mutation(async (b, call) => {
    const id = applicationId(call);
    const patch: Record<string, unknown> = {};
    const name = optionalText(call.input, 'appName', 200) ?? optionalText(call.input, 'name', 200);
    if (name !== undefined) patch.name = name;
    const image = optionalText(call.input, 'dockerImage', 300);
    if (image !== undefined) patch.image = image;
    const replicas = optionalNumber(call.input, 'replicas');
    if (replicas !== undefined) patch.replicas = replicas;
    const memoryLimit = optionalNumber(call.input, 'memoryLimit');
    if (memoryLimit !== undefined) patch.resources = { memoryLimit };
    const env = optionalString(call.input, 'env');
    if (env !== undefined) patch.envVars = await envPatch(b, call, id, env);
    await update(b, call, id, patch);
    return true;
  }),

  'application.saveEnvironment': mutation(async (b, call) => {
    const id = applicationId(call);
    await update(b, call, id, { envVars: await envPatch(b, call, id, optionalString(call.input, 'env') ?? '') });
    return true;
  }),

  'application.saveDockerProvider': mutation(async (b, call) => {
    const id = applicationId(call);
    // The CLI sends '' for "no registry login"; a real one has nowhere to go yet.
    for (const field of ['username', 'password', 'registryUrl']) {
      if (optionalText(call.input, field, 1000) !== undefined) {
        throw new AppError('UNPROCESSABLE_ENTITY', `Private registry credentials (${field}) are not supported yet; leave username, password and registryUrl empty`, { field });
      }
    }
    await update(b, call, id, { image: requiredString(call.input, 'dockerImage', 300), gitSource: null });
    return true;
  }),

  'application.saveGitProvider': mutation(async (b, call) => {
    const id = applicationId(call);
    const repoUrl = optionalText(call.input, 'customGitUrl', 2000) ?? requiredString(call.input, 'repository', 2000);
    const gitSource: Record<string, unknown> = { repoUrl };
    const branch = optionalText(call.input, 'customGitBranch', 300) ?? optionalText(call.input, 'branch', 300);
    if (branch !== undefined) gitSource.branch = branch;
    const buildPath = optionalText(call.input, 'customGitBuildPath', 1000) ?? optionalText(call.input, 'buildPath', 1000);
    if (buildPath !== undefined) gitSource.buildPath = buildPath.replace(/^\/+/, '') || '.';
    await update(b, call, id, { gitSource, image: null });
    return true;
  }),

  'application.deploy': mutation(async (b, call) => {
    await b.applications.deploy(applicationId(call), await b.dto(DeployDto, {}), call.user, call.req, NO_REPLY);
    return undefined;
  }),

  'application.redeploy': mutation(async (b, call) => {
    await b.applications.deploy(applicationId(call), await b.dto(DeployDto, { force: true }), call.user, call.req, NO_REPLY);
    return undefined;
  }),

  'application.reload': mutation(async (b, call) => {
    await b.applications.restart(applicationId(call), call.user, call.req);
    return true;
  }),

  'application.stop': mutation(async (b, call) => {
    await b.applications.stop(applicationId(call), call.user, call.req);
    return presentApplication(await readApp(b, call));
  }),

  'application.start': mutation(async (b, call) => {
    await b.applications.start(applicationId(call), call.user, call.req);
    return presentApplication(await readApp(b, call));
  }),

  'application.delete': mutation(async (b, call) => {
    const app = await readApp(b, call);
    await b.applications.remove(app.id, { deleteVolumes: false } as never, call.user, call.req);
    return presentApplication(app);
  }),

  'deployment.all': query(async (b, call) => (await b.allDeployments(call, applicationId(call))).map(presentDeployment)),
};

function applicationId(call: Call): string {
  return requiredString(call.input, 'applicationId');
}

async function readApp(b: Backend, call: Call): Promise<ApplicationView> {
  return (await b.applications.get(applicationId(call), call.user, call.req, NO_REPLY)) as unknown as ApplicationView;
}

async function update(b: Backend, call: Call, id: string, patch: Record<string, unknown>): Promise<void> {
  await b.applications.update(id, await b.dto(UpdateApplicationDto, patch), call.user, call.req, NO_REPLY);
}

/**
 * Dokploy's `env` is the whole set: every line is upserted and every key it
 * no longer has is removed. A secret's value pulled as the mask and pushed
 * back unchanged keeps its stored value (Slipway's PATCH rule).
 */
async function envPatch(b: Backend, call: Call, id: string, text: string): Promise<Array<Record<string, unknown>>> {
  const wanted = parseEnv(text);
  const keys = new Set(wanted.map((v) => v.key));
  const current = (await b.applications.get(id, call.user, call.req, NO_REPLY)) as unknown as ApplicationView;
  return [...wanted, ...current.envVars.filter((v) => !keys.has(v.key)).map((v) => ({ key: v.key, remove: true }))];
}
