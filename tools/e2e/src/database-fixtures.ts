import type { DockerClient } from '@slipway/docker';
import { freePort } from './harness';

/** The stand-in images tools/docker/build-db-images.sh builds, as the version → image map of test platforms. */
export const TEST_DATABASE_IMAGES = JSON.stringify({
  postgresql: { '15': 'slipway-test/postgres:15' },
  mariadb: { '10.11': 'slipway-test/mariadb:10.11' },
  mysql: { '8': 'slipway-test/mariadb:10.11' },
  redis: { '7': 'slipway-test/redis:7' },
});

/** Fails (never skips) with how to fix it when the stand-ins are missing. */
export async function requireDatabaseImages(docker: DockerClient): Promise<void> {
  for (const image of ['slipway-test/postgres:15', 'slipway-test/mariadb:10.11', 'slipway-test/redis:7']) {
    if (!(await docker.imageExists(image))) throw new Error(`${image} is missing: run tools/docker/build-db-images.sh (.ci/run does)`);
  }
}

/** Removes what a test platform's databases service left on the engine: services, volumes, project networks. */
export async function cleanDatabases(docker: DockerClient, instance: string): Promise<void> {
  const scope = [`slipway.scope=${instance}.databases`];
  for (const s of await docker.listServices(scope)) await docker.removeService(s.ID);
  for (let i = 0; i < 60; i++) {
    const volumes = await Promise.all((await docker.listVolumes(scope)).map((v) => docker.removeVolume(v.Name)));
    if (volumes.every((r) => r !== 'in-use')) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  await docker.call('remove networks', async (d) => {
    const networks = (await d.listNetworks({ filters: { label: scope } } as never)) as unknown as Array<{ Id: string }>;
    for (const n of networks) await d.getNetwork(n.Id).remove().catch(() => undefined);
  });
}

/** A host port nothing listens on now, for externalPort. */
export const freeHostPort = freePort;
