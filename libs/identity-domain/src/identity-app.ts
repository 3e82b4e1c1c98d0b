import { randomBytes, randomUUID } from 'node:crypto';
import * as argon2 from 'argon2';
import { AppError, commandMetadata, type Command, type Decider, type Event, type Page, type RequestContext, type ValidationIssue } from '@slipway/core';
import type { PublicEvent } from '@slipway/messaging';
import { handleCommand, type EventStore, type RecordedEvent } from '@slipway/event-store';
import type { EntityManager } from 'typeorm';
import {
  EMAIL_PATTERN,
  EMAIL_TOKEN_PATTERN,
  EMAIL_TOKEN_TTL_SECONDS,
  INVITATION_TOKEN_PATTERN,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  apiKeyStreamId,
  invitationStreamId,
  teamStreamId,
  userStreamId,
  type AccessSnapshot,
  type AuditEntry,
  type AuditQuery,
  type ApiKeyCommand,
  type ApiKeyRecord,
  type ApiKeyView,
  type CreateApiKeyRequest,
  type CreateApiKeyResponse,
  type CreateInvitationRequest,
  type CreateInvitationResponse,
  type CreateTeamRequest,
  type InvitationCommand,
  type InvitationView,
  type LoginAccountResponse,
  type RegistrationMode,
  type SessionView,
  type UpdateMeResponse,
  type TeamCommand,
  type TeamMemberRequest,
  type TeamMemberView,
  type TeamView,
  type UpdateMeRequest,
  type EnsureOwnerRequest,
  type EnsureOwnerResponse,
  type LoginRequest,
  type LoginResponse,
  type OidcLoginRequest,
  type RegisterRequest,
  type RevokedSessionsResponse,
  type UserCommand,
  type UserView,
} from '@slipway/identity-contracts';
import { apiKeyDecider } from './api-key.decider';
import { invitationDecider } from './invitation.decider';
import type { Mailer } from './mailer';
import { decideRegistration } from './registration';
import { teamDecider } from './team.decider';
import { userDecider } from './user.decider';
import { applyToAudit, initAudit, queryAudit } from './audit';
import { usersProjection } from './users.projection';
import { hashSecret, registeredView, toInvitationView, type InvitationRow, toApiKeyRecord, toApiKeyView, toView, uuidFrom, uuidOf, validateRegistration, type ApiKeyRow, type UserRow } from './accounts-model';

export type { RequestContext };


export interface IdentityOptions {
  /** SLIPWAY_REGISTRATION; unset: open until the owner exists, then invite. */
  registration?: RegistrationMode;
  /** Delivers email verification links. */
  mailer?: Mailer;
}

const INVALID_LOGIN = 'Invalid username or password';

export class IdentityApplication {
  private readonly projection;
  /** Verified against when the account does not exist, so timing does not reveal accounts. */
  private decoyHash?: string;

  constructor(
    private readonly store: EventStore,
    private readonly options: IdentityOptions = {},
  ) {
    this.projection = usersProjection(store.schema);
  }

  async start(): Promise<void> {
    await this.store.withTransaction(async (tx) => {
      await this.projection.init(tx);
      await initAudit(tx, this.store.schema);
    });
    this.decoyHash = await argon2.hash(randomBytes(16).toString('hex'));
  }

  /** Self-registration, under SLIPWAY_REGISTRATION (with an invitation where it needs one). */
  async register(req: RegisterRequest, ctx: RequestContext): Promise<UserView> {
    validateRegistration(req);
    const token = typeof req.invitationToken === 'string' && req.invitationToken ? req.invitationToken : undefined;
    const outcome = decideRegistration(this.options.registration, await this.ownerExists(), token !== undefined);
    if (outcome !== 'invited') return this.createAccount(req, ctx, { instanceOwner: outcome === 'owner' });
    const match = INVITATION_TOKEN_PATTERN.exec(token!);
    if (!match) {
      throw new AppError('FORBIDDEN', 'The invitation token is not valid; ask an administrator for a new invitation', { field: 'invitationToken' });
    }
    return this.registerInvited(req, ctx, uuidOf(match[1]), hashSecret(match[2]), false);
  }

  /**
   * Accepts the invitation on its own stream, then registers the account (and
   * joins the invitation's team); the invitation is given back if the
   * registration fails. `tokenHash` null: the email was proved instead.
   */
  private async registerInvited(req: RegisterRequest, ctx: RequestContext, invitationId: string, tokenHash: string | null, emailVerified: boolean): Promise<UserView> {
    await this.assertFree(req);
    // The account's id is fixed by the command id, so a retried request accepts and registers once.
    const userId = ctx.commandId ? uuidFrom(`register:${ctx.commandId}`) : randomUUID();
    const accepted = await handleCommand(this.store, invitationDecider, invitationStreamId(invitationId), {
      type: 'AcceptInvitation',
      data: { invitationId, tokenHash, userId, email: req.email },
      metadata: this.metadata({ ...ctx, commandId: `${ctx.commandId ?? randomUUID()}:accept` }, userId),
    } as InvitationCommand, {
      result: (state) => (state.status === 'absent' ? null : { teamId: state.teamId, role: state.role }),
      inTransaction: (tx, recorded) => this.applyAll(tx, recorded),
    });
    let user: UserView;
    try {
      user = await this.createAccount(req, ctx, { instanceOwner: false, userId, invitationId, emailVerified });
    } catch (e) {
      if (accepted.events.length > 0) {
        await this.run(invitationDecider, invitationStreamId(invitationId), {
          type: 'ReleaseInvitation',
          data: { invitationId, userId },
          metadata: this.metadata({ ...ctx, commandId: undefined }, userId),
        } as InvitationCommand).catch(() => undefined);
      }
      throw e;
    }
    const invitation = accepted.result;
    if (invitation?.teamId && invitation.role) {
      await this.addMember({ teamId: invitation.teamId, userId: user.id, role: invitation.role }, {
        ...ctx,
        commandId: `invitation-member:${invitationId}`,
        actorId: user.id,
      });
    }
    return user;
  }

  /** An open invitation bound to this email (oldest first), for a sign-in whose provider proved the email. */
  private async invitationFor(email: string): Promise<string | undefined> {
    const rows: Array<{ id: string }> = await this.store.dataSource.query(
      `SELECT id FROM "${this.store.schema}".invitations WHERE lower(email) = lower($1) AND accepted_by IS NULL AND revoked_at IS NULL AND expires_at > now() ORDER BY created_at LIMIT 1`,
      [email],
    );
    return rows[0]?.id;
  }

  private async applyAll(tx: EntityManager, recorded: RecordedEvent[]): Promise<void> {
    for (const event of recorded) await this.projection.apply(tx, event);
  }

  private async ownerExists(): Promise<boolean> {
    const rows: unknown[] = await this.store.dataSource.query(`SELECT 1 FROM "${this.store.schema}".users LIMIT 1`);
    return rows.length > 0;
  }

  /** Refuses a taken username or email before an invitation is spent on it. */
  private async assertFree(req: RegisterRequest): Promise<void> {
    const taken: Array<{ username: string }> = await this.store.dataSource.query(
      `SELECT username FROM "${this.store.schema}".users WHERE lower(username) = lower($1) OR lower(email) = lower($2) LIMIT 1`,
      [req.username, req.email],
    );
    if (taken[0]) {
      const field = taken[0].username.toLowerCase() === req.username.toLowerCase() ? 'username' : 'email';
      throw AppError.conflict(`An account with this ${field} already exists`, { field });
    }
  }

  private async createAccount(
    req: RegisterRequest,
    ctx: RequestContext,
    opts: { instanceOwner: boolean; emailVerified?: boolean; userId?: string; invitationId?: string },
  ): Promise<UserView> {
    validateRegistration(req);
    const userId = opts.userId ?? randomUUID();
    const passwordHash = await argon2.hash(req.password);
    const teamId = randomUUID();
    const outcome = await this.execute(userId, ctx, {
      type: 'RegisterUser',
      data: {
        userId,
        username: req.username,
        email: req.email,
        passwordHash,
        roles: ['owner'],
        teamId,
        instanceOwner: opts.instanceOwner,
        emailVerified: opts.emailVerified ?? false,
        invitationId: opts.invitationId ?? null,
      },
      metadata: this.metadata(ctx, userId),
    });
    const user = outcome.result as UserView;
    await this.ensurePersonalTeam(user, ctx);
    return user;
  }

  /** An invitation to register (and, with `teamId`, to join that team): by the installation's owner, or by a team's admins for their team. */
  async createInvitation(req: CreateInvitationRequest, ctx: RequestContext): Promise<CreateInvitationResponse> {
    const [actor]: UserRow[] = await this.store.dataSource.query(`SELECT * FROM "${this.store.schema}".users WHERE id::text = $1`, [req.actorId]);
    if (!actor) throw new AppError('INVALID_TOKEN', 'The account of this token no longer exists; log in again');
    // The gateway checked team:members:manage for teamId; without a team only the installation's owner may invite.
    if (!req.teamId && !actor.instance_owner) {
      throw new AppError('FORBIDDEN', "Only the installation's owner may invite without a team; team admins invite into their team (give teamId)");
    }
    if (req.email !== null && (typeof req.email !== 'string' || req.email.length > 254 || !EMAIL_PATTERN.test(req.email))) {
      throw AppError.validation([{ field: 'email', message: 'Email must be a valid address', constraint: 'isEmail', received: req.email }]);
    }
    if (req.teamId) {
      const [team]: Array<{ personal: boolean }> = await this.store.dataSource.query(`SELECT personal FROM "${this.store.schema}".teams WHERE id::text = $1`, [req.teamId]);
      if (!team) throw AppError.notFound('team', req.teamId);
      if (team.personal) throw new AppError('UNPROCESSABLE_ENTITY', 'Personal teams have no other members; invite into a team you created (POST /api/teams)');
    }
    const invitationId = randomUUID();
    const secret = randomBytes(32).toString('base64url');
    const now = ctx.now ?? new Date().toISOString();
    const expiresAt = new Date(Date.parse(now) + req.expiresInSeconds * 1000).toISOString();
    const outcome = await handleCommand(this.store, invitationDecider, invitationStreamId(invitationId), {
      type: 'CreateInvitation',
      data: { invitationId, tokenHash: hashSecret(secret), email: req.email, teamId: req.teamId, role: req.teamId ? req.role ?? 'developer' : null, invitedBy: actor.id, expiresAt },
      metadata: this.metadata({ ...ctx, now }, actor.id),
    } as InvitationCommand, { requestHash: ctx.requestHash, result: () => invitationId, inTransaction: (tx, recorded) => this.applyAll(tx, recorded) });
    if (outcome.duplicate) {
      throw AppError.conflict('This Idempotency-Key already created an invitation; its token was shown once. Create another if it was lost.', {
        invitationId: outcome.result,
      });
    }
    return {
      token: `inv_${invitationId.replace(/-/g, '')}_${secret}`,
      invitation: { id: invitationId, status: 'open', email: req.email, teamId: req.teamId, role: req.teamId ? req.role ?? 'developer' : null, expiresAt, createdAt: now },
    };
  }

  /**
   * Every user owns a personal team, where their projects go by default. Its
   * command id derives from the user id, so a retry (or a crash between the
   * two appends, healed at the next login) creates it exactly once.
   */
  private async ensurePersonalTeam(user: Pick<UserView, 'id' | 'username' | 'teamId'>, ctx: RequestContext): Promise<void> {
    await this.run(teamDecider, teamStreamId(user.teamId), {
      type: 'CreateTeam',
      data: { teamId: user.teamId, name: `${user.username}-personal`.slice(0, 50), description: null, ownerId: user.id, personal: true },
      metadata: this.metadata({ ...ctx, commandId: `personal-team:${user.id}` }, user.id),
    } as TeamCommand);
  }

  /** Invitations the actor may see: all of them for the installation's owner, else the ones they made. */
  async listInvitations(actorId: string): Promise<{ data: InvitationView[] }> {
    const rows: InvitationRow[] = await this.store.dataSource.query(
      `SELECT i.* FROM "${this.store.schema}".invitations i
       WHERE i.invited_by::text = $1 OR EXISTS (SELECT 1 FROM "${this.store.schema}".users u WHERE u.id::text = $1 AND u.instance_owner)
       ORDER BY i.created_at DESC, i.id LIMIT 500`,
      [actorId],
    );
    return { data: rows.map(toInvitationView) };
  }

  /** Withdraws an open invitation: by whoever made it, or the installation's owner (others: 404). */
  async revokeInvitation(req: { actorId: string; invitationId: string }, ctx: RequestContext): Promise<InvitationView> {
    const visible = (await this.listInvitations(req.actorId)).data.find((i) => i.id === req.invitationId);
    if (!visible) throw AppError.notFound('invitation', req.invitationId);
    await this.run(invitationDecider, invitationStreamId(req.invitationId), {
      type: 'RevokeInvitation',
      data: { invitationId: req.invitationId },
      metadata: this.metadata(ctx, req.actorId),
    } as InvitationCommand, ctx.requestHash);
    return (await this.listInvitations(req.actorId)).data.find((i) => i.id === req.invitationId)!;
  }

  /** The account an identifier names (username or email, any case), for the login throttle. */
  async loginAccount(identifier: string): Promise<LoginAccountResponse> {
    const typed = String(identifier ?? '');
    const rows: Array<{ id: string }> = await this.store.dataSource.query(
      `SELECT id FROM "${this.store.schema}".users WHERE lower(username) = lower($1) OR lower(email) = lower($1) LIMIT 1`,
      [typed],
    );
    return { accountKey: rows[0] ? `user:${rows[0].id}` : `name:${typed.toLowerCase()}` };
  }

  async session(sessionId: string): Promise<SessionView> {
    const rows: Array<{ id: string; user_id: string; expires_at: Date; ended_at: Date | null }> = await this.store.dataSource.query(
      `SELECT id, user_id, expires_at, ended_at FROM "${this.store.schema}".sessions WHERE id::text = $1`,
      [sessionId],
    );
    if (!rows[0]) throw AppError.notFound('session', sessionId);
    const r = rows[0];
    return { sessionId: r.id, userId: r.user_id, expiresAt: new Date(r.expires_at).toISOString(), ended: r.ended_at !== null };
  }

  async login(req: LoginRequest, ctx: RequestContext): Promise<LoginResponse> {
    const rows: UserRow[] = await this.store.dataSource.query(
      `SELECT * FROM "${this.store.schema}".users WHERE lower(username) = lower($1) OR lower(email) = lower($1) LIMIT 1`,
      [String(req.username ?? '')],
    );
    const row = rows[0];
    const ok = await argon2.verify(row?.password_hash ?? this.decoyHash!, String(req.password ?? '')).catch(() => false);
    if (!row || !ok) throw new AppError('UNAUTHORIZED', INVALID_LOGIN);
    return this.startSession(row, req.sessionTtlSeconds, ctx);
  }

  /**
   * Login by an identity the gateway verified with an OIDC provider: the
   * linked account if there is one; else the account with that verified
   * email, which gets linked; else a new account. An unverified email never
   * links to an existing account (that would let a provider take it over).
   */
  async oidcLogin(req: OidcLoginRequest, ctx: RequestContext): Promise<LoginResponse> {
    const schema = this.store.schema;
    const linked: UserRow[] = await this.store.dataSource.query(
      `SELECT u.* FROM "${schema}".oidc_identities i JOIN "${schema}".users u ON u.id = i.user_id WHERE i.provider = $1 AND i.subject = $2`,
      [req.provider, req.subject],
    );
    if (linked[0]) return this.startSession(linked[0], req.sessionTtlSeconds, ctx);
    if (!req.emailVerified) {
      throw new AppError('UNAUTHORIZED', `The ${req.provider} account's email is not verified; verify it with the provider and log in again`);
    }
    let [user]: UserRow[] = await this.store.dataSource.query(`SELECT * FROM "${schema}".users WHERE lower(email) = lower($1)`, [req.email]);
    if (user && !user.email_verified) {
      // Anyone can register a local account with someone else's address: linking it would hand
      // that squatter the provider's account, so only an account that proved its email is linked.
      throw AppError.conflict(
        `An account with this email already exists, and its email is not verified, so it is not linked to your ${req.provider} sign-in. ` +
          `If it is yours: log in with its password, verify the email (POST /api/users/me/email-verification), then sign in with ${req.provider} again`,
        { field: 'email' },
      );
    }
    if (!user) {
      // An invitation bound to this email needs no token: the provider just proved the address.
      const invitationId = await this.invitationFor(req.email);
      const outcome = decideRegistration(this.options.registration, await this.ownerExists(), invitationId !== undefined);
      const username = await this.freeUsername(req.name ?? req.email.split('@')[0]);
      // The account has no usable password until the user sets one; the provider verified its email.
      const account = { username, email: req.email, password: randomBytes(24).toString('base64url') };
      if (outcome === 'invited') await this.registerInvited(account, { ...ctx, commandId: undefined }, invitationId!, null, true);
      else await this.createAccount(account, { ...ctx, commandId: undefined }, { instanceOwner: outcome === 'owner', emailVerified: true });
      [user] = await this.store.dataSource.query(`SELECT * FROM "${schema}".users WHERE lower(email) = lower($1)`, [req.email]);
    }
    await this.execute(user.id, { ...ctx, commandId: undefined }, {
      type: 'LinkOidcIdentity',
      data: { userId: user.id, provider: req.provider, issuer: req.issuer, subject: req.subject },
      metadata: this.metadata(ctx, user.id),
    });
    return this.startSession(user, req.sessionTtlSeconds, ctx);
  }

  private async freeUsername(wanted: string): Promise<string> {
    // Cut before trimming, so the base never ends with '.', '_' or '-' (USERNAME_PATTERN).
    const base = (wanted.replace(/[^A-Za-z0-9._-]/g, '').slice(0, 24).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '') || 'user').padEnd(3, '0');
    for (let i = 0; ; i++) {
      const candidate = i === 0 ? base : `${base}${i + 1}`;
      const taken: unknown[] = await this.store.dataSource.query(
        `SELECT 1 FROM "${this.store.schema}".users WHERE lower(username) = lower($1)`,
        [candidate],
      );
      if (taken.length === 0) return candidate;
    }
  }

  private async startSession(row: UserRow, ttlSeconds: number, ctx: RequestContext): Promise<LoginResponse> {
    await this.ensurePersonalTeam({ id: row.id, username: row.username, teamId: row.team_id }, ctx);
    const sessionId = randomUUID();
    const now = ctx.now ?? new Date().toISOString();
    const expiresAt = new Date(Date.parse(now) + ttlSeconds * 1000).toISOString();
    // Sessions are never deduplicated by an Idempotency-Key: each login is its own.
    await this.execute(row.id, { ...ctx, commandId: undefined, now }, {
      type: 'StartSession',
      data: { userId: row.id, sessionId, expiresAt },
      metadata: this.metadata({ ...ctx, commandId: undefined, now }, row.id),
    });
    return { user: toView(row), sessionId, expiresAt };
  }

  async logout(req: { userId: string; sessionId: string }, ctx: RequestContext): Promise<{ sessionId: string }> {
    await this.execute(req.userId, ctx, {
      type: 'EndSession',
      data: { userId: req.userId, sessionId: req.sessionId },
      metadata: this.metadata(ctx, req.userId),
    });
    return { sessionId: req.sessionId };
  }

  async me(userId: string): Promise<UserView> {
    const rows: UserRow[] = await this.store.dataSource.query(`SELECT * FROM "${this.store.schema}".users WHERE id::text = $1`, [userId]);
    if (rows.length === 0) throw new AppError('INVALID_TOKEN', 'The account of this token no longer exists; log in again');
    return toView(rows[0]);
  }

  async revokedSessions(): Promise<RevokedSessionsResponse> {
    const rows: Array<{ id: string; expires_at: Date }> = await this.store.dataSource.query(
      `SELECT id, expires_at FROM "${this.store.schema}".sessions WHERE ended_at IS NOT NULL AND expires_at > now()`,
    );
    return { sessions: rows.map((r) => ({ sessionId: r.id, expiresAt: new Date(r.expires_at).toISOString() })) };
  }

  /** Creates the first account (an owner) when there is none yet; safe to call on every start. */
  async ensureOwner(req: EnsureOwnerRequest, ctx: RequestContext): Promise<EnsureOwnerResponse> {
    const [{ count }]: Array<{ count: string }> = await this.store.dataSource.query(
      `SELECT count(*) AS count FROM "${this.store.schema}".users`,
    );
    if (Number(count) > 0) return { created: false };
    const password = req.password ?? randomBytes(12).toString('base64url');
    // A fixed command id makes two gateways starting at once create one owner.
    const user = await this.createAccount({ username: req.username, email: req.email, password }, { ...ctx, commandId: 'ensure-owner' }, { instanceOwner: true });
    return { created: true, user, password: req.password ? undefined : password };
  }

  /**
   * Email and password changes both need the current password (a stolen
   * session alone cannot take the account over). A password change ends
   * every other session of the account; the one asking stays.
   */
  async updateMe(req: UpdateMeRequest, ctx: RequestContext): Promise<UpdateMeResponse> {
    const [row]: UserRow[] = await this.store.dataSource.query(`SELECT * FROM "${this.store.schema}".users WHERE id = $1`, [req.userId]);
    if (!row) throw new AppError('INVALID_TOKEN', 'The account of this token no longer exists; log in again');
    const issues: ValidationIssue[] = [];
    if (req.email !== undefined && (typeof req.email !== 'string' || req.email.length > 254 || !EMAIL_PATTERN.test(req.email))) {
      issues.push({ field: 'email', message: 'Email must be a valid address', constraint: 'isEmail', received: req.email });
    }
    if (req.password !== undefined && (typeof req.password !== 'string' || req.password.length < PASSWORD_MIN_LENGTH || req.password.length > PASSWORD_MAX_LENGTH)) {
      issues.push({ field: 'password', message: `Password must be ${PASSWORD_MIN_LENGTH}-${PASSWORD_MAX_LENGTH} characters`, constraint: 'length' });
    }
    if ((req.password !== undefined || req.email !== undefined) && req.currentPassword === undefined) {
      issues.push({ field: 'currentPassword', message: 'currentPassword is required to change the email or the password', constraint: 'required' });
    }
    if (issues.length > 0) throw AppError.validation(issues);
    // A currentPassword sent is always checked, changes or not: a wrong one must never pass as a success (the throttle resets on those).
    if (req.currentPassword !== undefined) {
      const ok = await argon2.verify(row.password_hash, String(req.currentPassword)).catch(() => false);
      if (!ok) throw new AppError('FORBIDDEN', 'currentPassword is not correct', { field: 'currentPassword' });
    }
    if (req.password === undefined && req.email === undefined) return { user: toView(row), endedSessions: [] };
    const endedSessions: UpdateMeResponse['endedSessions'] = [];
    if (req.password !== undefined) {
      const outcome = await this.execute(row.id, ctx, {
        type: 'ChangePassword',
        data: { userId: row.id, passwordHash: await argon2.hash(req.password), keepSessionId: req.sessionId },
        metadata: this.metadata(ctx, row.id),
      });
      for (const e of outcome.events) if (e.type === 'SessionEnded') endedSessions.push({ sessionId: String(e.data.sessionId), expiresAt: String(e.data.expiresAt) });
    }
    if (req.email !== undefined) {
      const emailCtx = { ...ctx, commandId: ctx.commandId ? `${ctx.commandId}:email` : undefined };
      await this.execute(row.id, emailCtx, { type: 'ChangeEmail', data: { userId: row.id, email: req.email }, metadata: this.metadata(emailCtx, row.id) });
    }
    return { user: await this.me(row.id), endedSessions };
  }

  /** Mails (see Mailer) a single-use token proving the current email; only its hash is kept. */
  async requestEmailVerification(userId: string, ctx: RequestContext): Promise<{ email: string; expiresAt: string }> {
    const user = await this.me(userId);
    const secret = randomBytes(32).toString('base64url');
    const now = ctx.now ?? new Date().toISOString();
    const expiresAt = new Date(Date.parse(now) + EMAIL_TOKEN_TTL_SECONDS * 1000).toISOString();
    // Each request sends a new token (the previous one stops working), never a replay.
    const runCtx = { ...ctx, commandId: undefined, now };
    await this.execute(userId, runCtx, { type: 'RequestEmailVerification', data: { userId, tokenHash: hashSecret(secret), expiresAt }, metadata: this.metadata(runCtx, userId) });
    const token = `ev_${userId.replace(/-/g, '')}_${secret}`;
    await this.options.mailer?.send({
      to: user.email,
      subject: 'Verify your Slipway email',
      text: `POST /api/auth/verify-email {"token":"${token}"} (valid until ${expiresAt})`,
    });
    return { email: user.email, expiresAt };
  }

  async verifyEmail(token: string, ctx: RequestContext): Promise<UserView> {
    const match = EMAIL_TOKEN_PATTERN.exec(String(token ?? ''));
    if (!match) {
      throw new AppError('INVALID_INPUT', 'The verification token is not valid or has expired; ask for a new one with POST /api/users/me/email-verification', {
        field: 'token',
      });
    }
    const userId = uuidOf(match[1]);
    await this.execute(userId, { ...ctx, commandId: undefined }, {
      type: 'VerifyEmail',
      data: { userId, tokenHash: hashSecret(match[2]) },
      metadata: this.metadata({ ...ctx, commandId: undefined }, userId),
    });
    return this.me(userId);
  }

  async createTeam(req: CreateTeamRequest, ctx: RequestContext): Promise<TeamView> {
    const teamId = randomUUID();
    const outcome = await handleCommand(this.store, teamDecider, teamStreamId(teamId), {
      type: 'CreateTeam',
      data: { teamId, name: req.name, description: req.description ?? null, ownerId: req.actorId, personal: false },
      metadata: this.metadata(ctx, req.actorId),
    } as TeamCommand, {
      requestHash: ctx.requestHash,
      // The first answer is kept with the command id, so an Idempotency-Key replay returns this team.
      result: (state) => (state.status === 'active' ? state.teamId : null),
      inTransaction: async (tx, recorded) => {
        for (const event of recorded) await this.projection.apply(tx, event);
      },
    });
    const [team] = (await this.listTeams(req.actorId)).data.filter((t) => t.id === outcome.result);
    return team;
  }

  async addMember(req: TeamMemberRequest, ctx: RequestContext): Promise<TeamMemberView> {
    await this.requireUser(req.userId);
    await this.run(teamDecider, teamStreamId(req.teamId), {
      type: 'AddTeamMember',
      data: { teamId: req.teamId, userId: req.userId, role: req.role },
      metadata: this.metadata(ctx, ctx.actorId ?? req.userId),
    } as TeamCommand, ctx.requestHash);
    return this.member(req.teamId, req.userId);
  }

  async changeMemberRole(req: TeamMemberRequest, ctx: RequestContext): Promise<TeamMemberView> {
    await this.run(teamDecider, teamStreamId(req.teamId), {
      type: 'ChangeTeamMemberRole',
      data: { teamId: req.teamId, userId: req.userId, role: req.role },
      metadata: this.metadata(ctx, ctx.actorId ?? req.userId),
    } as TeamCommand, ctx.requestHash);
    return this.member(req.teamId, req.userId);
  }

  async removeMember(req: { teamId: string; userId: string }, ctx: RequestContext): Promise<{ teamId: string; userId: string }> {
    await this.run(teamDecider, teamStreamId(req.teamId), {
      type: 'RemoveTeamMember',
      data: { teamId: req.teamId, userId: req.userId },
      metadata: this.metadata(ctx, ctx.actorId ?? req.userId),
    } as TeamCommand, ctx.requestHash);
    return req;
  }

  async listTeams(userId: string): Promise<{ data: TeamView[] }> {
    const rows: Array<{ id: string; name: string; description: string | null; personal: boolean; owner_id: string; created_at: Date; role: string; member_count: string }> =
      await this.store.dataSource.query(
        `SELECT t.*, m.role, (SELECT count(*) FROM "${this.store.schema}".team_members x WHERE x.team_id = t.id) AS member_count
         FROM "${this.store.schema}".team_members m JOIN "${this.store.schema}".teams t ON t.id = m.team_id
         WHERE m.user_id::text = $1 ORDER BY t.personal DESC, t.created_at, t.id`,
        [userId],
      );
    return {
      data: rows.map((r) => ({
        id: r.id,
        name: r.name,
        description: r.description,
        personal: r.personal,
        ownerId: r.owner_id,
        memberCount: Number(r.member_count),
        role: r.role as TeamView['role'],
        createdAt: new Date(r.created_at).toISOString(),
      })),
    };
  }

  async teamMembers(teamId: string): Promise<{ data: TeamMemberView[] }> {
    const rows: Array<{ user_id: string; username: string; email: string; role: string }> = await this.store.dataSource.query(
      `SELECT m.user_id, u.username, u.email, m.role FROM "${this.store.schema}".team_members m JOIN "${this.store.schema}".users u ON u.id = m.user_id
       WHERE m.team_id::text = $1 ORDER BY u.username`,
      [teamId],
    );
    return { data: rows.map((r) => ({ userId: r.user_id, username: r.username, email: r.email, role: r.role as TeamMemberView['role'] })) };
  }

  async createApiKey(req: CreateApiKeyRequest, ctx: RequestContext): Promise<CreateApiKeyResponse> {
    const keyId = randomUUID();
    const hex = keyId.replace(/-/g, '');
    const secret = randomBytes(32).toString('base64url');
    const outcome = await handleCommand(this.store, apiKeyDecider, apiKeyStreamId(keyId), {
      type: 'CreateApiKey',
      data: {
        keyId,
        userId: req.userId,
        teamId: req.teamId,
        name: req.name,
        prefix: `slw_${hex.slice(0, 8)}`,
        secretHash: hashSecret(secret),
        projectIds: req.projectIds,
        permission: req.permission,
        expiresAt: req.expiresAt,
      },
      metadata: this.metadata(ctx, req.userId),
    } as ApiKeyCommand, {
      requestHash: ctx.requestHash,
      result: () => keyId,
      inTransaction: async (tx, recorded) => {
        for (const event of recorded) await this.projection.apply(tx, event);
      },
    });
    if (outcome.duplicate) {
      // The key itself is shown once and never stored: a replayed create cannot show it again.
      throw AppError.conflict('This Idempotency-Key already created an API key; its secret was shown once. Create another key if it was lost.', {
        apiKeyId: outcome.result,
      });
    }
    const [view] = (await this.listApiKeys(req.userId, [])).data.filter((k) => k.id === keyId);
    return { key: `slw_${hex}_${secret}`, apiKey: view };
  }

  async revokeApiKey(keyId: string, ctx: RequestContext): Promise<{ keyId: string }> {
    await this.run(apiKeyDecider, apiKeyStreamId(keyId), {
      type: 'RevokeApiKey',
      data: { keyId },
      metadata: this.metadata(ctx, ctx.actorId ?? 'system'),
    } as ApiKeyCommand, ctx.requestHash);
    return { keyId };
  }

  async recordApiKeyUse(uses: Array<{ keyId: string; usedAt: string }>): Promise<{ recorded: number }> {
    let recorded = 0;
    for (const use of uses) {
      const outcome = await this.run(apiKeyDecider, apiKeyStreamId(use.keyId), {
        type: 'RecordApiKeyUse',
        data: use,
        metadata: this.metadata({}, 'system'),
      } as ApiKeyCommand).catch(() => undefined);
      recorded += outcome?.events.length ?? 0;
    }
    return { recorded };
  }

  /** The caller's own keys, plus every key of the teams they administer. */
  async listApiKeys(userId: string, adminTeamIds: string[]): Promise<{ data: ApiKeyView[] }> {
    const rows: ApiKeyRow[] = await this.store.dataSource.query(
      `SELECT * FROM "${this.store.schema}".api_keys WHERE user_id::text = $1 OR team_id::text = ANY($2::text[]) ORDER BY created_at DESC, id`,
      [userId, adminTeamIds],
    );
    return { data: rows.map(toApiKeyView) };
  }

  async apiKey(keyId: string): Promise<ApiKeyRecord & { name: string }> {
    const rows: ApiKeyRow[] = await this.store.dataSource.query(`SELECT * FROM "${this.store.schema}".api_keys WHERE id::text = $1`, [keyId]);
    if (!rows[0]) throw AppError.notFound('apiKey', keyId);
    return { ...toApiKeyRecord(rows[0]), name: rows[0].name };
  }

  /** Consistent snapshot (one REPEATABLE READ transaction) of everything the gateway authorizes with. */
  async accessSnapshot(): Promise<AccessSnapshot> {
    const runner = this.store.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction('REPEATABLE READ');
      const schema = this.store.schema;
      // The position first: the tables below reflect at least this much.
      const position = await this.store.headPosition();
      const teams: Array<{ id: string; name: string; personal: boolean; owner_id: string }> = await runner.query(`SELECT id, name, personal, owner_id FROM "${schema}".teams`);
      const members: Array<{ team_id: string; user_id: string; role: string }> = await runner.query(`SELECT team_id, user_id, role FROM "${schema}".team_members`);
      const keys: ApiKeyRow[] = await runner.query(`SELECT * FROM "${schema}".api_keys WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`);
      const sessions: Array<{ id: string; expires_at: Date }> = await runner.query(
        `SELECT id, expires_at FROM "${schema}".sessions WHERE ended_at IS NOT NULL AND expires_at > now()`,
      );
      const owners: Array<{ id: string }> = await runner.query(`SELECT id::text AS id FROM "${schema}".users WHERE instance_owner`);
      await runner.commitTransaction();
      const byTeam = new Map<string, Array<{ userId: string; role: TeamView['role'] }>>();
      for (const m of members) {
        const list = byTeam.get(m.team_id) ?? [];
        list.push({ userId: m.user_id, role: m.role as TeamView['role'] });
        byTeam.set(m.team_id, list);
      }
      return {
        position,
        teams: teams.map((t) => ({ teamId: t.id, name: t.name, personal: t.personal, ownerId: t.owner_id, members: byTeam.get(t.id) ?? [] })),
        keys: keys.map(toApiKeyRecord),
        revokedSessions: sessions.map((s) => ({ sessionId: s.id, expiresAt: new Date(s.expires_at).toISOString() })),
        instanceOwners: owners.map((o) => o.id),
      };
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      await runner.release();
    }
  }

  async recordAudit(event: PublicEvent): Promise<boolean> {
    return this.store.withTransaction((tx) => applyToAudit(tx, this.store.schema, event));
  }

  async audit(q: AuditQuery): Promise<Page<AuditEntry>> {
    return queryAudit((sql, params) => this.store.dataSource.query(sql, params), this.store.schema, q);
  }

  private async requireUser(userId: string): Promise<void> {
    const rows: unknown[] = await this.store.dataSource.query(`SELECT 1 FROM "${this.store.schema}".users WHERE id::text = $1`, [userId]);
    if (rows.length === 0) throw AppError.validation([{ field: 'userId', message: 'No user with this id', constraint: 'exists', received: userId }]);
  }

  private async member(teamId: string, userId: string): Promise<TeamMemberView> {
    const member = (await this.teamMembers(teamId)).data.find((m) => m.userId === userId);
    if (!member) throw AppError.notFound('member', userId);
    return member;
  }

  private metadata(ctx: RequestContext, actorId: string): UserCommand['metadata'] {
    return commandMetadata(ctx, actorId);
  }


  /** Any of the service's deciders through the event store, with the accounts model written inline. */
  private run<C extends Command, E extends Event, S>(decider: Decider<C, E, S>, streamId: string, command: C, requestHash?: string) {
    return handleCommand(this.store, decider, streamId, command, {
      requestHash,
      result: () => null,
      inTransaction: async (tx, recorded) => {
        for (const event of recorded) await this.projection.apply(tx, event);
      },
    });
  }

  private execute(userId: string, ctx: RequestContext, command: UserCommand) {
    return handleCommand(this.store, userDecider, userStreamId(userId), command, {
      requestHash: ctx.requestHash,
      result: (state) => (state.status === 'active' && command.type === 'RegisterUser' ? registeredView(command) : null),
      inTransaction: async (tx, recorded) => {
        for (const event of recorded) await this.projection.apply(tx, event);
      },
    });
  }
}
