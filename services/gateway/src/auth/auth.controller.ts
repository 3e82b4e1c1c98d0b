import { Body, Controller, Get, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { IdentityApi } from '@slipway/identity-contracts';
import { ApiErrors } from '../conventions/api-docs';
import type { Principal, SlipwayRequest } from '../conventions/request';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { Downstream } from '../downstream';
import { headersOf } from '../request-headers';
import { LoginDto, LoginResponseDto, MeDto, RegisterDto, RegisterResponseDto } from './auth.dto';
import { CurrentUser, Public } from './public.decorator';
import { RevocationsService } from './revocations.service';
import { TokensService } from './tokens.service';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    @Inject(Downstream) private readonly downstream: Downstream,
    @Inject(TokensService) private readonly tokens: TokensService,
    @Inject(RevocationsService) private readonly revocations: RevocationsService,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
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
  @ApiErrors(400, 401, 415)
  async login(@Body() body: LoginDto, @Req() req: SlipwayRequest) {
    const session = await this.downstream.request(
      IdentityApi.login,
      { username: body.username, password: body.password, sessionTtlSeconds: this.config.jwtExpiresIn },
      { ...headersOf(req), commandId: undefined },
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
    await this.downstream.request(IdentityApi.logout, { userId: user.userId, sessionId: user.sessionId }, headersOf(req));
    // This replica stops accepting the token now; others learn it from SessionEnded.
    this.revocations.revoke(user.sessionId, new Date(Date.now() + this.config.jwtExpiresIn * 1000).toISOString());
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
    const user = await this.downstream.request(IdentityApi.me, { userId: principal.userId }, headersOf(req));
    return {
      id: user.id,
      username: user.username,
      email: user.email,
      roles: user.roles,
      teams: [{ id: user.teamId, name: `${user.username} (personal)`, role: 'owner' }],
      createdAt: user.createdAt,
    };
  }
}
