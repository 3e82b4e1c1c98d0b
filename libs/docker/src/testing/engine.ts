import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { DockerClient } from '../client';

export const TEST_BASE_IMAGE = process.env.SLIPWAY_TEST_BASE_IMAGE ?? 'slipway-test/busybox:latest';
const ROOT = resolve(__dirname, '..', '..', '..', '..');

/**
 * Docker tests never skip: a machine without an engine fails them with the
 * way to fix it. `.ci/run` installs and starts dockerd, initialises Swarm and
 * builds the base image; this builds the image too when only it is missing.
 */
export async function requireTestEngine(client = new DockerClient({ host: process.env.DOCKER_HOST })): Promise<DockerClient> {
  if (!(await client.reachable(5000))) {
    throw new Error(
      `Docker tests need a Docker engine at ${client.endpoint}, and none answers. Run .ci/run (installs docker.io, starts dockerd, ` +
        `runs "docker swarm init"), or start dockerd yourself.`,
    );
  }
  const swarm = await client.swarm();
  if (!swarm.active || !swarm.manager) {
    throw new Error(`Docker tests need a Swarm manager; this engine is '${swarm.state}'. Run: docker swarm init --advertise-addr 127.0.0.1`);
  }
  if (!(await client.imageExists(TEST_BASE_IMAGE))) {
    execFileSync(join(ROOT, 'tools/docker/build-base-image.sh'), { stdio: 'inherit' });
  }
  return client;
}
