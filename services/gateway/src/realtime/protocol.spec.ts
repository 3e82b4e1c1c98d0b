import { describe, expect, it } from '@jest/globals';
import { AppError } from '@slipway/core';
import { BoundedSender } from './bounded-sender';
import { routeEvent, logMessage } from './channels';
import { errorMessage, parseClientMessage } from './protocol';
import { matchUpgradePath, streamLink } from './upgrade-routes';

const refused = (raw: string) => {
  try {
    parseClientMessage(raw);
  } catch (e) {
    return e as AppError;
  }
  throw new Error('accepted');
};

describe('parseClientMessage', () => {
  it('reads subscribe, unsubscribe and ping', () => {
    expect(parseClientMessage('{"type":"subscribe","id":"s1","channel":"deployment.status","filter":{"deploymentId":"d-1"}}')).toEqual({
      type: 'subscribe',
      id: 's1',
      channel: 'deployment.status',
      filter: { deploymentId: 'd-1' },
    });
    expect(parseClientMessage('{"type":"unsubscribe","id":"s1"}')).toEqual({ type: 'unsubscribe', id: 's1' });
    expect(parseClientMessage('{"type":"ping"}')).toEqual({ type: 'ping' });
  });

  it('refuses bad messages in the error vocabulary, naming the field', () => {
    expect(refused('not json').code).toBe('INVALID_INPUT');
    expect(refused('[1]').code).toBe('INVALID_INPUT');
    const unknownChannel = refused('{"type":"subscribe","id":"s","channel":"nope","filter":{"applicationId":"a"}}');
    expect(unknownChannel.code).toBe('VALIDATION_ERROR');
    expect((unknownChannel.details as any).errors[0]).toMatchObject({ field: 'channel', constraint: 'isIn', received: 'nope' });
    expect((refused('{"type":"subscribe","id":"s","channel":"application.logs","filter":{"deploymentId":"d"}}').details as any).errors[0].field).toBe('filter.deploymentId');
    expect((refused('{"type":"subscribe","id":"s","channel":"deployment.status","filter":{}}').details as any).errors[0].constraint).toBe('exactlyOne');
    expect((refused('{"type":"subscribe","channel":"deployment.status","filter":{"deploymentId":"d"}}').details as any).errors[0].field).toBe('id');
    expect((refused('{"type":"subscribe","id":"s","channel":"deployment.status","filter":{"deploymentId":{"$ne":1}}}').details as any).errors[0].received).toBe('[object]');
    expect((refused('{"type":"shout"}').details as any).errors[0].field).toBe('type');
  });

  it('renders refusals in the contract error format', () => {
    const m = errorMessage(new AppError('FORBIDDEN', 'no'), 'ws-1:s', 's', new Date('2026-01-01T00:00:00Z'));
    expect(m).toEqual({ type: 'error', id: 's', error: { code: 'FORBIDDEN', message: 'no', details: {}, timestamp: '2026-01-01T00:00:00.000Z', requestId: 'ws-1:s' } });
  });
});

describe('routeEvent', () => {
  it('maps DeploymentProgressed to deployment.status in the contract shape', () => {
    const routed = routeEvent({
      type: 'DeploymentProgressed',
      data: { deploymentId: 'd', applicationId: 'a', projectId: 'p', status: 'building', stage: 'building', progress: 45, steps: { done: 3, total: 6 }, message: 'Building: step 4 of 6', at: 't' },
    });
    expect(routed).toEqual({
      channel: 'deployment.status',
      keys: { deploymentId: 'd', applicationId: 'a', projectId: 'p' },
      at: 't',
      data: { deploymentId: 'd', applicationId: 'a', status: 'building', progress: 45, stage: 'building', message: 'Building: step 4 of 6' },
    });
  });

  it("maps the metrics side's ResourceAlertRaised to resource.alert in the contract shape", () => {
    const routed = routeEvent({
      type: 'ResourceAlertRaised',
      data: { applicationId: 'a', projectId: 'p', teamId: 't', metric: 'memory', threshold: 512, current: 600, severity: 'critical', at: 'now' },
    });
    expect(routed).toEqual({
      channel: 'resource.alert',
      keys: { applicationId: 'a', projectId: 'p' },
      teamId: 't',
      at: 'now',
      data: { applicationId: 'a', metric: 'memory', threshold: 512, current: 600, severity: 'critical' },
    });
  });

  it('ignores other events; log lines keep their container', () => {
    expect(routeEvent({ type: 'DeploymentStageStarted', data: {} })).toBeNull();
    expect(logMessage({ applicationId: 'a', timestamp: 't', level: 'info', message: 'hi', container: 'c.1' }).data).toEqual({ applicationId: 'a', timestamp: 't', level: 'info', message: 'hi', container: 'c.1' });
  });
});

describe('BoundedSender', () => {
  it('queues while the socket is full, drops the oldest past the bound and says how many with one lagged message', () => {
    const sent: string[] = [];
    const socket = { bufferedAmount: 10_000, send: (d: string) => sent.push(d) };
    const sender = new BoundedSender(socket, 3, 1000);
    for (let i = 0; i < 10; i++) sender.send(String(i));
    expect(sent).toEqual([]);
    expect(sender.queued).toBe(3);
    socket.bufferedAmount = 0;
    sender.flush();
    expect(sent).toEqual([JSON.stringify({ type: 'lagged', dropped: 7 }), '7', '8', '9']);
  });

  it('sends at once when there is room', () => {
    const sent: string[] = [];
    const sender = new BoundedSender({ bufferedAmount: 0, send: (d: string) => sent.push(d) }, 3, 1000);
    sender.send('a');
    expect(sent).toEqual(['a']);
  });
});

describe('upgrade routes', () => {
  it('accepts /api/ws and the log URLs, with tail and since', () => {
    expect(matchUpgradePath('/api/ws', new URLSearchParams())).toEqual({ kind: 'ws' });
    expect(matchUpgradePath('/api/v1/ws', new URLSearchParams())).toEqual({ kind: 'ws' });
    expect(matchUpgradePath('/api/applications/a-1/logs', new URLSearchParams('follow=true&tail=5&since=2026-01-01T00:00:00Z'))).toEqual({
      kind: 'applicationLogs',
      id: 'a-1',
      options: { tail: 5, since: '2026-01-01T00:00:00.000Z' },
    });
    expect(matchUpgradePath('/api/deployments/d-1/logs', new URLSearchParams())).toMatchObject({ kind: 'deploymentLogs', id: 'd-1' });
    expect(matchUpgradePath('/api/projects', new URLSearchParams())).toBeNull();
    expect(matchUpgradePath('/ws', new URLSearchParams())).toBeNull();
  });

  it('links the stream as ws:// or wss:// (behind a TLS proxy)', () => {
    expect(streamLink({ host: 'h:3000' }, 'http', '/api/applications/a/logs')).toBe('ws://h:3000/api/applications/a/logs?follow=true');
    expect(streamLink({ host: 'h', 'x-forwarded-proto': 'https' }, 'http', '/api/x')).toBe('wss://h/api/x?follow=true');
  });
});
