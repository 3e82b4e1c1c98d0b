import { AppError, assertNever, type Decider, type ValidationIssue } from '@slipway/core';
import { TEAM_NAME_PATTERN, type TeamCommand, type TeamEvent, type TeamRole } from '@slipway/identity-contracts';

export type TeamState =
  | { status: 'absent' }
  | { status: 'active'; teamId: string; ownerId: string; personal: boolean; members: Record<string, TeamRole> };

export const initialTeamState = (): TeamState => ({ status: 'absent' });

function requireTeam(state: TeamState, teamId: string) {
  if (state.status !== 'active') throw AppError.notFound('team', teamId);
  return state;
}

export function decideTeam(command: TeamCommand, state: TeamState): TeamEvent[] {
  const { now } = command.metadata;
  switch (command.type) {
    case 'CreateTeam': {
      if (state.status !== 'absent') throw AppError.conflict(`Team '${command.data.teamId}' already exists`);
      const issues: ValidationIssue[] = [];
      if (!TEAM_NAME_PATTERN.test(command.data.name)) {
        issues.push({ field: 'name', message: 'Team names are 2-50 letters, digits, spaces, dots, underscores or hyphens', constraint: 'pattern', received: command.data.name });
      }
      if (issues.length) throw AppError.validation(issues);
      return [
        { type: 'TeamCreated', data: { ...command.data, createdAt: now } },
        { type: 'TeamMemberAdded', data: { teamId: command.data.teamId, userId: command.data.ownerId, role: 'owner', addedAt: now } },
      ];
    }
    case 'AddTeamMember': {
      const team = requireTeam(state, command.data.teamId);
      if (team.personal) throw new AppError('UNPROCESSABLE_ENTITY', 'A personal team has one member; create a team to share projects');
      const current = team.members[command.data.userId];
      if (current === command.data.role) return [];
      if (current) throw AppError.conflict('The user is already a member; change their role instead', { userId: command.data.userId, role: current });
      return [{ type: 'TeamMemberAdded', data: { ...command.data, addedAt: now } }];
    }
    case 'ChangeTeamMemberRole': {
      const team = requireTeam(state, command.data.teamId);
      const current = team.members[command.data.userId];
      if (!current) throw AppError.notFound('member', command.data.userId);
      if (current === 'owner') throw AppError.conflict("The owner's role cannot change");
      if (current === command.data.role) return [];
      return [{ type: 'TeamMemberRoleChanged', data: { ...command.data, previousRole: current, changedAt: now } }];
    }
    case 'RemoveTeamMember': {
      const team = requireTeam(state, command.data.teamId);
      const current = team.members[command.data.userId];
      if (!current) return [];
      if (current === 'owner') throw AppError.conflict('The owner cannot be removed from the team');
      return [{ type: 'TeamMemberRemoved', data: { ...command.data, removedAt: now } }];
    }
    default:
      return assertNever(command, 'command');
  }
}

export function evolveTeam(state: TeamState, event: TeamEvent): TeamState {
  switch (event.type) {
    case 'TeamCreated':
      return { status: 'active', teamId: event.data.teamId, ownerId: event.data.ownerId, personal: event.data.personal, members: {} };
    case 'TeamMemberAdded':
    case 'TeamMemberRoleChanged':
      if (state.status !== 'active') return state;
      return { ...state, members: { ...state.members, [event.data.userId]: event.data.role } };
    case 'TeamMemberRemoved': {
      if (state.status !== 'active') return state;
      const { [event.data.userId]: _gone, ...members } = state.members;
      return { ...state, members };
    }
    default:
      return assertNever(event, 'event');
  }
}

export const teamDecider: Decider<TeamCommand, TeamEvent, TeamState> = { decide: decideTeam, evolve: evolveTeam, initialState: initialTeamState };
