import { Body, Controller, Get, HttpCode, Inject, Patch, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AppError } from '@slipway/core';
import { IdentityApi, type TeamView, type UserView } from '@slipway/identity-contracts';
import { ApiErrors } from '../conventions/api-docs';
import type { Principal, SlipwayReply, SlipwayRequest } from '../conventions/request';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { Downstream } from '../downstream';
import { headersOf } from '../request-headers';
import { EmailVerificationDto, LoginDto, LoginResponseDto, MeDto, RegisterDto, RegisterResponseDto, UpdateMeDto, VerifyEmailDto } from './auth.dto';
import { CurrentUser, Public } from './public.decorator';
import { AccessService } from '../access/access.service';
import { TokensService } from './tokens.service';
import { LoginThrottle } from '../rate-limit/login-throttle';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    @Inject(Downstream) private readonly downstream: Downstream,
    @Inject(TokensService) private readonly tokens: TokensService,
    @Inject(AccessService) private readonly access: AccessService,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(LoginThrottle) private readonly loginThrottle: LoginThrottle,
  ) {}

  @Public()
  @Post('register')
  @HttpCode(201)
  @ApiOperation({ summary: 'Register a new user (SLIPWAY_REGISTRATION: open, by invitation — the default once the owner exists — or closed)' })
  @ApiResponse({ status: 201, type: RegisterResponseDto })
  @ApiErrors(400, 403, 409, 415, 422)
  async register(@Body() body: RegisterDto, @Req() req: SlipwayRequest) {
    const user = await this.downstream.request(
      IdentityApi.register,
      { username: body.username, email: body.email, password: body.password, invitationToken: body.invitationToken },
      headersOf(req),
    );
    return { id: user.id, username: user.username, email: user.email, createdAt: user.createdAt };
  }

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Log in with username (or email) and password; returns a JWT valid for expiresIn seconds' })
  @ApiResponse({ status: 200, type: LoginResponseDto })
  @ApiErrors(400, 401, 415, 429)
  async login(@Body() body: LoginDto, @Req() req: SlipwayRequest, @Res({ passthrough: true }) reply: SlipwayReply) {
    // Failed logins per account (whatever identifier names it) and per address: slowed down, then 429 for a while (LOGIN_THROTTLE).
    const { accountKey } = await this.downstream.request(IdentityApi.loginAccount, { identifier: body.username }, { ...headersOf(req), commandId: undefined });
    const session = await this.loginThrottle.attempt(accountKey, req.ip, reply, () =>
      this.downstream.request(
        IdentityApi.login,
        { username: body.username, password: body.password, sessionTtlSeconds: this.config.jwtExpiresIn },
        { ...headersOf(req), commandId: undefined },
      ),
    );
    const { user } = session;
    this.access.rememberSession(session.sessionId, user.id, session.expiresAt);
    return {
      token: this.tokens.sign(user, session.sessionId, session.expiresAt),
      expiresIn: this.config.jwtExpiresIn,
      user: { id: user.id, username: user.username, email: user.email, roles: user.roles },
    };
  }

  @Post('logout')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'End the current session; its token stops working on every gateway' })
  @ApiResponse({ status: 204, description: 'Logged out' })
  @ApiErrors(401)
  async logout(@CurrentUser() user: Principal, @Req() req: SlipwayRequest): Promise<void> {
    if (!user.sessionId) throw new AppError('UNPROCESSABLE_ENTITY', 'API keys have no session to log out of; revoke the key with DELETE /api/api-keys/:id');
    await this.downstream.request(IdentityApi.logout, { userId: user.userId, sessionId: user.sessionId }, headersOf(req));
    // This replica stops accepting the token now; others learn it from SessionEnded.
    this.access.revoke(user.sessionId, new Date(Date.now() + this.config.jwtExpiresIn * 1000).toISOString());
  }

  @Public()
  @Post('verify-email')
  @HttpCode(200)
  @ApiOperation({ summary: 'Prove an email address with the token sent to it (POST /api/users/me/email-verification sends one)' })
  @ApiResponse({ status: 200, type: MeDto })
  @ApiErrors(400, 415)
  async verifyEmail(@Body() body: VerifyEmailDto, @Req() req: SlipwayRequest) {
    const user = await this.downstream.request(IdentityApi.verifyEmail, { token: body.token }, { ...headersOf(req), commandId: undefined });
    return { id: user.id, username: user.username, email: user.email, emailVerified: user.emailVerified };
  }
}

@ApiTags('users')
@ApiBearerAuth()
@Controller('users')
export class UsersController {
  constructor(
    @Inject(Downstream) private readonly downstream: Downstream,
    @Inject(AccessService) private readonly access: AccessService,
    @Inject(LoginThrottle) private readonly loginThrottle: LoginThrottle,
  ) {}

  @Get('me')
  @ApiOperation({ summary: 'The current user, with teams and roles' })
  @ApiResponse({ status: 200, type: MeDto })
  @ApiErrors(401)
  async me(@CurrentUser() principal: Principal, @Req() req: SlipwayRequest) {
    const [user, teams] = await Promise.all([
      this.downstream.request(IdentityApi.me, { userId: principal.userId }, headersOf(req)),
      this.downstream.request(IdentityApi.listTeams, { userId: principal.userId }, headersOf(req)),
    ]);
    return present(user, teams.data);
  }

  @Patch('me')
  @ApiOperation({
    summary: 'Change your email and/or password; both need currentPassword. A password change ends every other session (this one stays)',
  })
  @ApiResponse({ status: 200, type: MeDto })
  @ApiErrors(400, 401, 403, 409, 415, 429)
  async updateMe(
    @Body() body: UpdateMeDto,
    @CurrentUser() principal: Principal,
    @Req() req: SlipwayRequest,
    @Res({ passthrough: true }) reply: SlipwayReply,
  ) {
    if (principal.kind !== 'user') throw new AppError('FORBIDDEN', 'API keys cannot change account settings; log in as the user');
    const update = () =>
      this.downstream.request(
        IdentityApi.updateMe,
        { userId: principal.userId, sessionId: principal.sessionId ?? null, email: body.email, password: body.password, currentPassword: body.currentPassword },
        headersOf(req),
      );
    // Guessing currentPassword is guessing the password: throttled with the account's logins.
    const { user, endedSessions } =
      body.currentPassword === undefined
        ? await update()
        : await this.loginThrottle.attempt(`user:${principal.userId}`, req.ip, reply, update, (e) => e.code === 'FORBIDDEN' && e.details?.field === 'currentPassword');
    // This replica refuses the ended sessions now; the others learn it from SessionEnded.
    for (const s of endedSessions) this.access.revoke(s.sessionId, s.expiresAt);
    const teams = await this.downstream.request(IdentityApi.listTeams, { userId: principal.userId }, headersOf(req));
    return present(user, teams.data);
  }

  @Post('me/email-verification')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send a single-use verification token (valid 24 h) to your email; until a mail transport exists it is written to the identity service log' })
  @ApiResponse({ status: 202, type: EmailVerificationDto })
  @ApiErrors(401, 403, 409)
  async requestEmailVerification(@CurrentUser() principal: Principal, @Req() req: SlipwayRequest) {
    if (principal.kind !== 'user') throw new AppError('FORBIDDEN', 'API keys cannot change account settings; log in as the user');
    return this.downstream.request(IdentityApi.requestEmailVerification, { userId: principal.userId }, { ...headersOf(req), commandId: undefined });
  }
}

function present(user: UserView, teams: TeamView[]) {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    emailVerified: user.emailVerified,
    roles: user.roles,
    teams: teams.map((t) => ({ id: t.id, name: t.name, role: t.role })),
    createdAt: user.createdAt,
  };
}
