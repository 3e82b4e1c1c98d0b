import { engineMessage, engineStatus, type DockerClient, type ServiceInfo } from '@slipway/docker';
import { desiredTasks, type ApplicationData } from './application.decider';

/**
 * The desired-state half of running applications: replicas (scale, stop,
 * start) and restarts are recorded as events first, then applied to the
 * service here. Idempotent, so the request that recorded a change applies it
 * at once and the reconciler applies whatever a failed attempt left behind.
 */
export class ApplicationEngine {
  constructor(private readonly docker: DockerClient) {}

  /** True when the service was changed. Does nothing for an application that never ran. */
  async converge(app: ApplicationData, service?: ServiceInfo): Promise<boolean> {
    if (!app.current) return false;
    for (let attempt = 0; attempt < 3; attempt++) {
      const current = service ?? (await this.docker.inspectService(app.serviceName));
      service = undefined;
      if (!current) return false;
      const spec = current.Spec as any;
      const replicas = desiredTasks(app);
      const force = Math.max(app.restartCount, Number(spec.TaskTemplate?.ForceUpdate ?? 0));
      if (spec.Mode?.Replicated?.Replicas === replicas && Number(spec.TaskTemplate?.ForceUpdate ?? 0) === force) return false;
      try {
        await this.docker.updateService(current.ID, current.Version.Index, {
          ...spec,
          Mode: { Replicated: { Replicas: replicas } },
          TaskTemplate: { ...spec.TaskTemplate, ForceUpdate: force },
        });
        return true;
      } catch (err) {
        // Another writer updated the service since we read it ("update out of sequence"): read again.
        if (engineStatus(err) !== 500 || !/out of sequence/i.test(engineMessage(err))) throw err;
      }
    }
    return false;
  }
}
