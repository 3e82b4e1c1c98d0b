import type { Command, Event } from '@slipway/core';
import type { AssignableRole, TeamRole } from './access';

export const teamStreamId = (teamId: string): string => `team-${teamId}`;
export const TEAM_NAME_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9 ._-]{0,48})[A-Za-z0-9]$/;

export type CreateTeam = Command<'CreateTeam', { teamId: string; name: string; description: string | null; ownerId: string; personal: boolean }>;
export type AddTeamMember = Command<'AddTeamMember', { teamId: string; userId: string; role: AssignableRole }>;
export type ChangeTeamMemberRole = Command<'ChangeTeamMemberRole', { teamId: string; userId: string; role: AssignableRole }>;
export type RemoveTeamMember = Command<'RemoveTeamMember', { teamId: string; userId: string }>;
export type TeamCommand = CreateTeam | AddTeamMember | ChangeTeamMemberRole | RemoveTeamMember;

export type TeamCreated = Event<
  'TeamCreated',
  { teamId: string; name: string; description: string | null; ownerId: string; personal: boolean; createdAt: string }
>;
export type TeamMemberAdded = Event<'TeamMemberAdded', { teamId: string; userId: string; role: TeamRole; addedAt: string }>;
export type TeamMemberRoleChanged = Event<'TeamMemberRoleChanged', { teamId: string; userId: string; role: TeamRole; previousRole: TeamRole; changedAt: string }>;
export type TeamMemberRemoved = Event<'TeamMemberRemoved', { teamId: string; userId: string; removedAt: string }>;
export type TeamEvent = TeamCreated | TeamMemberAdded | TeamMemberRoleChanged | TeamMemberRemoved;

export interface TeamView {
  id: string;
  name: string;
  description: string | null;
  personal: boolean;
  ownerId: string;
  memberCount: number;
  /** The caller's role in the team. */
  role: TeamRole;
  createdAt: string;
}

export interface TeamMemberView {
  userId: string;
  username: string;
  email: string;
  role: TeamRole;
}
