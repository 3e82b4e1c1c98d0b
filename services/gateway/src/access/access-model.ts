import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '@slipway/core';
import {
  API_KEY_PATTERN,
  READ_ONLY_ACTIONS,
  roleCan,
  type AccessSnapshot,
  type Action,
  type ApiKeyRecord,
  type TeamRole,
} from '@slipway/identity-contracts';
import type { PublicEvent } from '@slipway/messaging';
import type { Principal } from '../conventions/request';

interface TeamEntry {
  name: string;
  personal: boolean;
  ownerId: string;
  members: Map<string, TeamRole>;
}

/** Why an action on a team is refused: not a member (→ 404, nothing to see) or not allowed (→ 403). */
export type Decision = 'allow' | 'not-member' | 'forbidden';

const toUuid = (hex: string) => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;

/**
 * Who may do what, held in memory by every gateway replica: teams, members
 * and API keys, loaded from identity's snapshot and kept current by its public
 * events. Checking a token or a key costs no round trip. Pure: no I/O here.
 */
export class AccessModel {
  private teams = new Map<string, TeamEntry>();
  private keys = new Map<string, ApiKeyRecord>();
  private memberships = new Map<string, Map<string, TeamRole>>(); // userId → teamId → role
  /** The installation's owner(s): platform administrators, with those SLIPWAY_PLATFORM_ADMINS names. */
  private owners = new Set<string>();
  position = 0;

  isInstanceOwner(userId: string): boolean {
    return this.owners.has(userId);
  }

  load(snapshot: AccessSnapshot): void {
    this.teams = new Map();
    this.keys = new Map();
    this.memberships = new Map();
    for (const t of snapshot.teams) {
      this.teams.set(t.teamId, { name: t.name, personal: t.personal, ownerId: t.ownerId, members: new Map() });
      for (const m of t.members) this.setRole(t.teamId, m.userId, m.role);
    }
    for (const k of snapshot.keys) this.keys.set(k.keyId, k);
    this.owners = new Set(snapshot.instanceOwners ?? []);
    this.position = snapshot.position;
  }

  /** Applies an identity event. Idempotent, so events already in a snapshot can be applied again. */
  apply(event: Pick<PublicEvent, 'type' | 'data' | 'globalPosition'>): void {
    const d = event.data as Record<string, any>;
    switch (event.type) {
      case 'TeamCreated':
        if (!this.teams.has(d.teamId)) this.teams.set(d.teamId, { name: d.name, personal: d.personal, ownerId: d.ownerId, members: new Map() });
        break;
      case 'TeamMemberAdded':
      case 'TeamMemberRoleChanged':
        this.setRole(d.teamId, d.userId, d.role);
        break;
      case 'UserRegistered':
        if (d.instanceOwner) this.owners.add(d.userId);
        break;
      case 'TeamMemberRemoved':
        this.teams.get(d.teamId)?.members.delete(d.userId);
        this.memberships.get(d.userId)?.delete(d.teamId);
        break;
      case 'ApiKeyRevoked': {
        const key = this.keys.get(d.keyId);
        if (key) this.keys.set(d.keyId, { ...key, revokedAt: d.revokedAt });
        break;
      }
      default:
        break;
    }
    this.position = Math.max(this.position, event.globalPosition ?? 0);
  }

  putKey(record: ApiKeyRecord): void {
    const known = this.keys.get(record.keyId);
    // A revocation seen first must not be undone by a late fetch of the key.
    this.keys.set(record.keyId, known?.revokedAt ? { ...record, revokedAt: known.revokedAt } : record);
  }

  private setRole(teamId: string, userId: string, role: TeamRole): void {
    let team = this.teams.get(teamId);
    if (!team) {
      team = { name: '', personal: false, ownerId: '', members: new Map() };
      this.teams.set(teamId, team);
    }
    team.members.set(userId, role);
    let mine = this.memberships.get(userId);
    if (!mine) this.memberships.set(userId, (mine = new Map()));
    mine.set(teamId, role);
  }

  roleOf(userId: string, teamId: string): TeamRole | undefined {
    return this.memberships.get(userId)?.get(teamId);
  }

  teamsOf(userId: string): Array<{ teamId: string; role: TeamRole }> {
    return [...(this.memberships.get(userId) ?? new Map<string, TeamRole>()).entries()].map(([teamId, role]) => ({ teamId, role }));
  }

  personalTeamOf(userId: string): string | undefined {
    for (const { teamId } of this.teamsOf(userId)) {
      const team = this.teams.get(teamId);
      if (team?.personal && team.ownerId === userId) return teamId;
    }
    return undefined;
  }

  /**
   * The one place that applies the permission table to a principal. A key acts
   * with its creator's *current* role in its team, capped to reads for `read`
   * keys, and only within that team: never more than its creator holds now.
   */
  decide(principal: Principal, action: Action, teamId: string): Decision {
    const role = this.roleOf(principal.userId, teamId);
    if (!role) return 'not-member';
    if (principal.key) {
      if (principal.key.teamId !== teamId) return 'not-member';
      if (principal.key.permission === 'read' && !READ_ONLY_ACTIONS.includes(action)) return 'forbidden';
    }
    return roleCan(role, action) ? 'allow' : 'forbidden';
  }

  /** Teams in which the principal may perform the action. */
  teamsFor(principal: Principal, action: Action): string[] {
    const candidates = principal.key ? [principal.key.teamId] : this.teamsOf(principal.userId).map((t) => t.teamId);
    return candidates.filter((teamId) => this.decide(principal, action, teamId) === 'allow');
  }

  /** Throws the contract's error for a refused action: 404 when the team is not theirs, 403 when the role is too low. */
  require(principal: Principal, action: Action, teamId: string, resource: { type: string; id: string } = { type: 'team', id: teamId }): void {
    const decision = this.decide(principal, action, teamId);
    if (decision === 'not-member') throw AppError.notFound(resource.type, resource.id);
    if (decision === 'forbidden') {
      throw new AppError('FORBIDDEN', forbiddenMessage(principal, action), { action, teamId, ...(principal.key ? { keyPermission: principal.key.permission } : {}) });
    }
  }

  /** A project-scoped key may touch only its projects (403 outside them). */
  requireProjectInKeyScope(principal: Principal, projectId: string): void {
    const scope = principal.key?.projectIds;
    if (scope && !scope.includes(projectId)) {
      throw new AppError('FORBIDDEN', 'This API key is limited to other projects', { projectId, keyProjectIds: scope });
    }
  }

  /** Resolves an API key to its record, or says why it is not accepted. Constant-time on the secret. */
  authenticateKey(token: string, now: number): ApiKeyRecord | 'unknown' {
    const match = API_KEY_PATTERN.exec(token);
    if (!match) throw new AppError('INVALID_TOKEN', 'The API key is malformed');
    const record = this.keys.get(toUuid(match[1]));
    if (!record) return 'unknown';
    const expected = Buffer.from(record.secretHash, 'hex');
    const actual = createHash('sha256').update(match[2]).digest();
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) throw new AppError('INVALID_TOKEN', 'The API key is not valid');
    if (record.revokedAt) throw new AppError('INVALID_TOKEN', 'The API key was revoked; create a new one');
    if (record.expiresAt && Date.parse(record.expiresAt) <= now) throw new AppError('INVALID_TOKEN', `The API key expired at ${record.expiresAt}; create a new one`);
    return record;
  }

  /** Whether a key this replica knows was revoked or has expired (a long-lived stream re-checks its key by id). */
  keyEnded(keyId: string, now: number): boolean {
    const record = this.keys.get(keyId);
    if (!record) return false;
    return Boolean(record.revokedAt) || (record.expiresAt !== null && record.expiresAt !== undefined && Date.parse(record.expiresAt) <= now);
  }

  static keyIdOf(token: string): string | undefined {
    const match = API_KEY_PATTERN.exec(token);
    return match ? toUuid(match[1]) : undefined;
  }
}

function forbiddenMessage(principal: Principal, action: Action): string {
  if (principal.key?.permission === 'read') return `This API key is read-only; '${action}' needs a read-write key`;
  return `Your role in this team does not allow '${action}'; ask a team admin or owner`;
}
