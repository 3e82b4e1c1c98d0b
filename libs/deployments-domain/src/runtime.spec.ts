import type { ServiceInfo, TaskInfo } from '@slipway/docker';
import { lastTaskFailure, observeRuntime, publishedPorts } from './runtime';

const service = { ID: 's', Version: { Index: 1 }, Spec: {}, Endpoint: { Ports: [{ Protocol: 'tcp', TargetPort: 8080, PublishedPort: 30001 }] } } as ServiceInfo;
const task = (id: string, state: string, desired = 'running', extra: Partial<TaskInfo['Status']> = {}, at = '2026-01-01T00:00:00Z'): TaskInfo => ({
  ID: id,
  ServiceID: 's',
  Slot: 1,
  DesiredState: desired,
  Status: { State: state, Timestamp: at, ...extra },
});
const withPort = (t: TaskInfo, port: number): TaskInfo => ({
  ...t,
  Status: {
    ...t.Status,
    PortStatus: {
      Ports: [
        { Protocol: 'tcp', TargetPort: 8080, PublishedPort: port, PublishMode: 'host' },
        { Protocol: 'tcp', TargetPort: 8080, PublishedPort: port, PublishMode: 'host' },
      ],
    },
  },
});

describe('observeRuntime', () => {
  const observe = (tasks: TaskInfo[], desiredTasks = 1, svc: ServiceInfo | null = service) =>
    observeRuntime({ serviceName: 'web-1', desiredTasks, service: svc ?? undefined, tasks, publishMode: 'host' });

  it('is running and healthy when every wanted task runs, with each task\'s host port once', () => {
    expect(observe([withPort(task('t1', 'running'), 32768), withPort(task('t2', 'running'), 32769)], 2)).toEqual({
      status: 'running',
      healthStatus: 'healthy',
      runningTasks: 2,
      desiredTasks: 2,
      ports: [
        { containerPort: 8080, protocol: 'tcp', publishedPort: 32768 },
        { containerPort: 8080, protocol: 'tcp', publishedPort: 32769 },
      ],
      message: null,
    });
  });

  it('shows a container killed behind Slipway\'s back as an error naming the failed task', () => {
    const killed = task('killedtask00001', 'failed', 'shutdown', { Err: 'task: non-zero exit (137)' }, '2026-01-01T00:00:05Z');
    const replacement = task('newtask', 'ready');
    expect(observe([killed, replacement])).toMatchObject({
      status: 'error',
      healthStatus: 'starting',
      runningTasks: 0,
      message: '0 of 1 tasks running; task killedtask00 (slot 1) failed: task: non-zero exit (137)',
    });
  });

  it('is degraded with some tasks running, stopped with none wanted, and an error without the service', () => {
    expect(observe([task('a', 'running'), task('b', 'starting')], 2)).toMatchObject({ status: 'degraded', healthStatus: 'unhealthy', runningTasks: 1 });
    expect(observe([task('a', 'shutdown', 'shutdown')], 0)).toMatchObject({ status: 'stopped', runningTasks: 0, desiredTasks: 0 });
    expect(observe([], 1, null)).toMatchObject({ status: 'error', message: expect.stringContaining("Service 'web-1' is missing") });
  });

  it('counts a task once when its IPv4 and IPv6 bindings got different host ports (IPv4 comes first)', () => {
    const t = task('t1', 'running');
    const dual: TaskInfo = {
      ...t,
      Status: {
        ...t.Status,
        PortStatus: {
          Ports: [
            { Protocol: 'tcp', TargetPort: 8080, PublishedPort: 32832, PublishMode: 'host' },
            { Protocol: 'tcp', TargetPort: 8080, PublishedPort: 32831, PublishMode: 'host' },
          ],
        },
      },
    };
    expect(publishedPorts(undefined, [dual], 'host')).toEqual([{ containerPort: 8080, protocol: 'tcp', publishedPort: 32832 }]);
  });

  it('reads ingress ports from the service endpoint', () => {
    expect(publishedPorts(service, [], 'ingress')).toEqual([{ containerPort: 8080, protocol: 'tcp', publishedPort: 30001 }]);
  });

  it('reports the newest failure', () => {
    const older = task('older000000000', 'failed', 'shutdown', { Err: 'old' }, '2026-01-01T00:00:01Z');
    const newer = task('newer000000000', 'rejected', 'shutdown', { Err: 'No such image: x' }, '2026-01-01T00:00:09Z');
    expect(lastTaskFailure([older, newer])).toBe('task newer0000000 (slot 1) rejected: No such image: x');
    expect(lastTaskFailure([task('ok', 'running')])).toBeNull();
  });
});
