import { deciderSpec, type CommandMetadata } from '@slipway/core';
import type { BackupEvent, RequestBackup, RestoreEvent } from '@slipway/databases-contracts';
import { backupDecider, restoreDecider } from './operation.deciders';

const meta: CommandMetadata = { commandId: 'c', now: '2026-01-01T00:00:00.000Z', actorId: 'u' };
const request: RequestBackup['data'] = {
  backupId: 'b1',
  databaseId: 'd1',
  projectId: 'p1',
  teamId: 't1',
  name: 'first',
  type: 'postgresql',
  compress: true,
  format: 'pg_dump-custom',
  location: { destination: 'local', key: 's/d1/b1.dump.gz' },
};
const requested: BackupEvent = { type: 'BackupRequested', data: { ...request, requestedAt: meta.now } };
const started: BackupEvent = { type: 'BackupStarted', data: { backupId: 'b1', databaseId: 'd1', workerId: 'w1', startedAt: meta.now } };

describe('backup decider', () => {
  const spec = deciderSpec(backupDecider);
  it('goes pending → running → completed once; a late failure after completion changes nothing', () => {
    expect(spec.given([]).when({ type: 'RequestBackup', data: request, metadata: meta }).events()).toEqual([requested]);
    expect(spec.given([requested, started]).when({ type: 'StartBackup', data: { backupId: 'b1', workerId: 'w2' }, metadata: meta }).error().code).toBe('CONFLICT');
    const [completed] = spec.given([requested, started]).when({ type: 'CompleteBackup', data: { backupId: 'b1', size: 10, sha256: 'ab', duration: 1 }, metadata: meta }).events();
    expect(completed).toMatchObject({ type: 'BackupCompleted', data: { size: 10, sha256: 'ab' } });
    expect(spec.given([requested, started, completed]).when({ type: 'FailBackup', data: { backupId: 'b1', reason: 'late' }, metadata: meta }).events()).toEqual([]);
  });

  it('deletes only finished backups', () => {
    expect(spec.given([requested, started]).when({ type: 'DeleteBackup', data: { backupId: 'b1' }, metadata: meta }).error().code).toBe('CONFLICT');
    const failed: BackupEvent = { type: 'BackupFailed', data: { backupId: 'b1', databaseId: 'd1', reason: 'x', failedAt: meta.now } };
    expect(spec.given([requested, started, failed]).when({ type: 'DeleteBackup', data: { backupId: 'b1' }, metadata: meta }).events()[0].type).toBe('BackupDeleted');
  });
});

describe('restore decider', () => {
  const spec = deciderSpec(restoreDecider);
  const req: RestoreEvent = { type: 'RestoreRequested', data: { restoreId: 'r1', backupId: 'b1', databaseId: 'd1', projectId: 'p1', teamId: 't1', requestedAt: meta.now } };
  it('fails with the reason it is given, once', () => {
    const [failed] = spec.given([req]).when({ type: 'FailRestore', data: { restoreId: 'r1', reason: 'pg_restore: error: bad' }, metadata: meta }).events();
    expect(failed).toMatchObject({ type: 'RestoreFailed', data: { reason: 'pg_restore: error: bad' } });
    expect(spec.given([req, failed]).when({ type: 'CompleteRestore', data: { restoreId: 'r1', duration: 1 }, metadata: meta }).events()).toEqual([]);
  });
});
