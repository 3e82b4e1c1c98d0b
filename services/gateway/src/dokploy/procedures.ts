import { query, type Procedure } from './backend';
import { APPLICATION_PROCEDURES } from './applications.procedures';
import { DATABASE_PROCEDURES } from './databases.procedures';
import { ENVIRONMENT_PROCEDURES } from './environments';
import { PROJECT_PROCEDURES } from './projects.procedures';

/** user.get: GET /api/users/me as Dokploy's member row (the caller in the key's team, or their own). */
const USER_PROCEDURES: Record<string, Procedure> = {
  'user.get': query(async (b, call) => {
    const me = await b.users.me(call.user, call.req);
    const teamId = call.user.key?.teamId ?? call.user.teamId;
    const team = me.teams.find((t) => t.id === teamId) ?? me.teams[0];
    return {
      id: me.id,
      userId: me.id,
      organizationId: team?.id ?? teamId,
      role: team?.role ?? 'member',
      createdAt: me.createdAt,
      isDefault: true,
      user: { id: me.id, name: me.username, email: me.email, emailVerified: me.emailVerified, createdAt: me.createdAt },
    };
  }),
};

/** Every procedure Slipway answers, by `<router>.<procedure>`. */
export const PROCEDURES: Readonly<Record<string, Procedure>> = {
  ...USER_PROCEDURES,
  ...PROJECT_PROCEDURES,
  ...ENVIRONMENT_PROCEDURES,
  ...APPLICATION_PROCEDURES,
  ...DATABASE_PROCEDURES,
};

/** The OpenAPI adapter's paths (`/api/<router>.<procedure>`): static routes, so no other path is shadowed. */
export const QUERY_PATHS = Object.keys(PROCEDURES).filter((n) => PROCEDURES[n]!.kind === 'query');
export const MUTATION_PATHS = Object.keys(PROCEDURES).filter((n) => PROCEDURES[n]!.kind === 'mutation');
