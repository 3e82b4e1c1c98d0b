import { randomBytes, randomUUID } from 'node:crypto';
import * as argon2 from 'argon2';
import { AppError, type ValidationIssue } from '@slipway/core';
import { handleCommand, type EventStore } from '@slipway/event-store';
import {
  EMAIL_PATTERN,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  USERNAME_PATTERN,
  userStreamId,
  type EnsureOwnerRequest,
  type EnsureOwnerResponse,
  type LoginRequest,
  type LoginResponse,
  type OidcLoginRequest,
  type RegisterRequest,
  type RevokedSessionsResponse,
  type Role,
  type UserCommand,
  type UserView,
} from '@slipway/identity-contracts';
import { userDecider } from './user.decider';
import { usersProjection } from './users.projection';

export interface RequestContext {
  commandId?: string;
  requestHash?: string;
  requestId?: string;
  now?: string;
}

interface UserRow {
  id: string;
  username: string;
  email: string;
  password_hash: string;
  roles: Role[];
  team_id: string;
  created_at: Date;
}

const INVALID_LOGIN = 'Invalid username or password';

export class IdentityApplication {
  private readonly projection;
  /** Verified against when the account does not exist, so timing does not reveal accounts. */
  private decoyHash?: string;

  constructor(private readonly store: EventStore) {
    this.projection = usersProjection(store.schema);
  }

  async start(): Promise<void> {
    await this.store.withTransaction((tx) => this.projection.init(tx));
    this.decoyHash = await argon2.hash(randomBytes(16).toString('hex'));
  }

  async register(req: RegisterRequest, ctx: RequestContext, roles: Role[] = ['owner']): Promise<UserView> {
    validateRegistration(req);
    const userId = randomUUID();
    const passwordHash = await argon2.hash(req.password);
    const outcome = await this.execute(userId, ctx, {
      type: 'RegisterUser',
      data: { userId, username: req.username, email: req.email, passwordHash, roles, teamId: randomUUID() },
      metadata: this.metadata(ctx, userId),
    });
    return outcome.result as UserView;
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
    if (!user) {
      const username = await this.freeUsername(req.name ?? req.email.split('@')[0]);
      // The account has no usable password until the user sets one.
      await this.register({ username, email: req.email, password: randomBytes(24).toString('base64url') }, { ...ctx, commandId: undefined });
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
    const base = (wanted.replace(/[^A-Za-z0-9._-]/g, '').replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '') || 'user').slice(0, 24).padEnd(3, '0');
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
    const user = await this.register({ username: req.username, email: req.email, password }, { ...ctx, commandId: 'ensure-owner' });
    return { created: true, user, password: req.password ? undefined : password };
  }

  private metadata(ctx: RequestContext, actorId: string): UserCommand['metadata'] {
    return {
      commandId: ctx.commandId ?? randomUUID(),
      now: ctx.now ?? new Date().toISOString(),
      actorId,
      ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
    };
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

function registeredView(command: Extract<UserCommand, { type: 'RegisterUser' }>): UserView {
  const d = command.data;
  return { id: d.userId, username: d.username, email: d.email, roles: d.roles, teamId: d.teamId, createdAt: command.metadata.now };
}

function toView(row: UserRow): UserView {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    roles: row.roles,
    teamId: row.team_id,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

export function validateRegistration(req: RegisterRequest): void {
  const issues: ValidationIssue[] = [];
  if (typeof req.username !== 'string' || !USERNAME_PATTERN.test(req.username)) {
    issues.push({
      field: 'username',
      message: 'Username must be 3-32 letters, digits, dots, underscores or hyphens, starting and ending with a letter or digit',
      constraint: 'pattern',
      received: req.username,
    });
  }
  if (typeof req.email !== 'string' || req.email.length > 254 || !EMAIL_PATTERN.test(req.email)) {
    issues.push({ field: 'email', message: 'Email must be a valid address', constraint: 'isEmail', received: req.email });
  }
  if (typeof req.password !== 'string' || req.password.length < PASSWORD_MIN_LENGTH || req.password.length > PASSWORD_MAX_LENGTH) {
    // Never echo a password back.
    issues.push({
      field: 'password',
      message: `Password must be ${PASSWORD_MIN_LENGTH}-${PASSWORD_MAX_LENGTH} characters`,
      constraint: 'length',
    });
  }
  if (issues.length > 0) throw AppError.validation(issues);
}
