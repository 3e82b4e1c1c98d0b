import type { TeamCreated, TeamMemberAdded, TeamMemberRemoved, TeamMemberRoleChanged } from './teams';

/**
 * The `data` of each catalogued identity event as subscribers receive it
 * (source of the AsyncAPI schemas). Only teams are catalogued: user events
 * carry personal data (emails) and hashes, which services/identity strips
 * (PRIVATE_EVENT_FIELDS) but which have no business in webhooks.
 */
export interface IdentityPublicEventData {
  TeamCreated: TeamCreated['data'];
  TeamMemberAdded: TeamMemberAdded['data'];
  TeamMemberRoleChanged: TeamMemberRoleChanged['data'];
  TeamMemberRemoved: TeamMemberRemoved['data'];
}
