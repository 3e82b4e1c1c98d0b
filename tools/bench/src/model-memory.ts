import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ProjectQueryModel } from '@slipway/projects-queries';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/**
 * Heap held by the gateway's projects read model for `count` projects (10
 * teams, realistic names and descriptions, three statistics events each),
 * measured in this process after full collections.
 */
export function projectModelBytes(count = 10_000): number {
  const before = heapAfterGc();
  const model = new ProjectQueryModel();
  const teams = Array.from({ length: 10 }, () => randomUUID());
  for (let i = 0; i < count; i++) {
    const projectId = randomUUID();
    model.apply({
      eventId: randomUUID(),
      service: 'projects',
      type: 'ProjectCreated',
      streamPosition: 1,
      globalPosition: i + 1,
      data: { projectId, name: `project-${i}-${projectId.slice(0, 8)}`, description: 'A project of the bench', ownerId: randomUUID(), teamId: teams[i % 10], createdAt: new Date().toISOString() },
    });
    for (const type of ['ApplicationCreated', 'DeploymentCreated', 'DeploymentCreated']) {
      model.apply({ eventId: randomUUID(), service: 'deployments', type, streamPosition: 1, globalPosition: i + 1, data: { projectId } });
    }
  }
  const after = heapAfterGc();
  if (model.size !== count) throw new Error('model lost projects');
  return after - before;
}
