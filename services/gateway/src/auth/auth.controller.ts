import { Body, Controller, Get, HttpCode, Inject, Patch, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AppError } from '@slipway/core';
import { IdentityApi, type TeamView, type UserView } from '@slipway/identity-contracts';
import { ApiErrors } from '../conventions/api-docs';
import type { Principal, SlipwayReply, SlipwayRequest } from '../conventions/request';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { Downstream } from '../downstream';
import { headersOf } from '../request-headers';
import { LoginDto, LoginResponseDto, MeDto, RegisterDto, RegisterResponseDto, UpdateMeDto } from './auth.dto';
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
  @ApiOperation({ summary: 'Register a new user' })
  @ApiResponse({ status: 201, type: RegisterResponseDto })
  @ApiErrors(400, 409, 415, 422)
  async register(@Body() body: RegisterDto, @Req() req: SlipwayRequest) {
    const user = await this.downstream.request(IdentityApi.register, body, headersOf(req));
    return { id: user.id, username: user.username, email: user.email, createdAt: user.createdAt };
  }

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Log in with username (or email) and password; returns a JWT valid for expiresIn seconds' })
  @ApiResponse({ status: 200, type: LoginResponseDto })
  @ApiErrors(400, 401, 415, 429)
  async login(@Body() body: LoginDto, @Req() req: SlipwayRequest, @Res({ passthrough: true }) reply: SlipwayReply) {
    // Failed logins per account and per address: slowed down, then 429 for a while (LOGIN_THROTTLE).
    const session = await this.loginThrottle.attempt(body.username, req.ip, reply, () =>
      this.downstream.request(
        IdentityApi.login,
        { username: body.username, password: body.password, sessionTtlSeconds: this.config.jwtExpiresIn },
        { ...headersOf(req), commandId: undefined },
      ),
    );
    const { user } = session;
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
}

@ApiTags('users')
@ApiBearerAuth()
@Controller('users')
export class UsersController {
  constructor(@Inject(Downstream) private readonly downstream: Downstream) {}

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
  @ApiOperation({ summary: 'Change your email and/or password (a password change needs currentPassword)' })
  @ApiResponse({ status: 200, type: MeDto })
  @ApiErrors(400, 401, 403, 409, 415)
  async updateMe(@Body() body: UpdateMeDto, @CurrentUser() principal: Principal, @Req() req: SlipwayRequest) {
    if (principal.kind !== 'user') throw new AppError('FORBIDDEN', 'API keys cannot change account settings; log in as the user');
    const user = await this.downstream.request(
      IdentityApi.updateMe,
      { userId: principal.userId, email: body.email, password: body.password, currentPassword: body.currentPassword },
      headersOf(req),
    );
    const teams = await this.downstream.request(IdentityApi.listTeams, { userId: principal.userId }, headersOf(req));
    return present(user, teams.data);
  }
}

function present(user: UserView, teams: TeamView[]) {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    roles: user.roles,
    teams: teams.map((t) => ({ id: t.id, name: t.name, role: t.role })),
    createdAt: user.createdAt,
  };
}
