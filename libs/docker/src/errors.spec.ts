import { AppError } from '@slipway/core';
import { engineMessage, engineUnavailable, isEngineUnreachable } from './errors';

describe('engine errors', () => {
  it('tells an unreachable engine from an engine that answered', () => {
    expect(isEngineUnreachable(Object.assign(new Error('connect ENOENT /var/run/docker.sock'), { code: 'ENOENT' }))).toBe(true);
    expect(isEngineUnreachable(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isEngineUnreachable({ statusCode: 404, json: { message: 'service x not found' } })).toBe(false);
    expect(isEngineUnreachable({ statusCode: 409, json: { message: 'conflict' } })).toBe(false);
    // Swarm not ready (dockerd starting or stopping): unusable, like unreachable.
    expect(isEngineUnreachable({ statusCode: 503, json: { message: 'This node is not a swarm manager.' } })).toBe(true);
    expect(isEngineUnreachable(AppError.notFound('service', 'x'))).toBe(false);
    expect(isEngineUnreachable(engineUnavailable('/var/run/docker.sock'))).toBe(true);
  });

  it('says where the engine was expected, or what it said when it cannot serve', () => {
    const down = engineUnavailable('/var/run/docker.sock', { code: 'ENOENT' });
    expect(down.toJSON()).toEqual({
      code: 'SERVICE_UNAVAILABLE',
      message: 'The Docker engine is not reachable at /var/run/docker.sock; start it (dockerd) and retry',
      details: { engine: '/var/run/docker.sock', retryAfterSeconds: 2, cause: 'ENOENT' },
    });
    const busy = engineUnavailable('/var/run/docker.sock', { statusCode: 503, json: { message: 'This node is not a swarm manager.' } });
    expect(busy.message).toBe('The Docker engine at /var/run/docker.sock cannot serve now (This node is not a swarm manager.); retry shortly');
    expect(engineMessage({ statusCode: 500, json: { message: 'boom' } })).toBe('boom');
  });
});
