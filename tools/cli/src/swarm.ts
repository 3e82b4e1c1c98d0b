import Dockerode from 'dockerode';

export type SwarmState = 'manager' | 'initialised' | 'not-a-manager' | 'worker' | 'no-engine';

/**
 * Deployments need a Swarm manager. Found out at start, not at the first
 * deployment: the exact command is printed, or with SLIPWAY_INIT_SWARM=true
 * the engine is made a single-node Swarm (advertise address
 * SLIPWAY_SWARM_ADVERTISE_ADDR, else the engine's choice).
 */
export async function checkSwarm(env: NodeJS.ProcessEnv, log: (line: string) => void, docker = new Dockerode()): Promise<SwarmState> {
  let info: { Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean } };
  try {
    info = (await docker.info()) as typeof info;
  } catch {
    log('No Docker engine is reachable (DOCKER_HOST or /var/run/docker.sock): the API runs, deployments and databases fail until one is. On Debian/Ubuntu: sudo apt-get install -y docker.io');
    return 'no-engine';
  }
  const state = info.Swarm?.LocalNodeState ?? 'inactive';
  if (state === 'active' && info.Swarm?.ControlAvailable) return 'manager';
  if (state === 'active') {
    log('This Docker engine is a Swarm worker; Slipway needs a manager. Run Slipway on a manager node, or leave the swarm (docker swarm leave) and start again.');
    return 'worker';
  }
  const advertise = env.SLIPWAY_SWARM_ADVERTISE_ADDR?.trim();
  const command = `docker swarm init${advertise ? ` --advertise-addr ${advertise}` : ' --advertise-addr <this server\'s IP>'}`;
  if (env.SLIPWAY_INIT_SWARM !== 'true') {
    log(`This Docker engine is not a Swarm manager, which deployments and databases need. Run:\n  ${command}\nor start Slipway with SLIPWAY_INIT_SWARM=true (and SLIPWAY_SWARM_ADVERTISE_ADDR=<ip>) to have it done.`);
    return 'not-a-manager';
  }
  try {
    await docker.swarmInit({ ListenAddr: '0.0.0.0:2377', ...(advertise ? { AdvertiseAddr: advertise } : {}) });
  } catch (e) {
    throw new Error(`docker swarm init failed: ${(e as Error).message}. Set SLIPWAY_SWARM_ADVERTISE_ADDR to this server's IP, or run: ${command}`);
  }
  log(`Initialised a single-node Docker Swarm${advertise ? ` advertising ${advertise}` : ''}.`);
  return 'initialised';
}
