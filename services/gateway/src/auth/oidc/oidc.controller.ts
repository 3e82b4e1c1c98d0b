import { AccessService } from '../../access/access.service';
import { Controller, Get, HttpCode, Inject, Query, Redirect, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { IdentityApi } from '@slipway/identity-contracts';
import { ApiErrors } from '../../conventions/api-docs';
import type { SlipwayReply, SlipwayRequest } from '../../conventions/request';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config';
import { Downstream } from '../../downstream';
import { headersOf } from '../../request-headers';
import { LoginResponseDto } from '../auth.dto';
import { Public } from '../public.decorator';
import { TokensService } from '../tokens.service';
import { createIdTokenVerifier } from './id-token';
import { OidcFlow } from './oidc-flow';
import { PENDING_LOGIN_COOKIE, PENDING_LOGIN_TTL_SECONDS } from './pending-login';

/** Nest providers for the OIDC routes (registered in app.module). */
export const OIDC_SERVICES = [
  {
    provide: OidcFlow,
    inject: [GATEWAY_CONFIG],
    useFactory: (config: GatewayConfig) =>
      new OidcFlow({
        config: config.oidc,
        jwtSecret: config.jwtSecret,
        timeoutMs: config.requestTimeoutMs,
        verifyIdToken: createIdTokenVerifier(config.requestTimeoutMs),
      }),
  },
];

const COOKIE_DOC = `${PENDING_LOGIN_COOKIE}: the pending login (provider, state, nonce, PKCE verifier), AES-256-GCM sealed, httpOnly, SameSite=Lax, Path=/api/auth/oidc, ${PENDING_LOGIN_TTL_SECONDS / 60} minutes`;

@ApiTags('auth')
@Controller('auth/oidc')
export class OidcController {
  constructor(
    @Inject(OidcFlow) private readonly flow: OidcFlow,
    @Inject(Downstream) private readonly downstream: Downstream,
    @Inject(TokensService) private readonly tokens: TokensService,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(AccessService) private readonly access: AccessService,
  ) {}

  @Public()
  @Get('login')
  @Redirect()
  @ApiOperation({
    summary: 'Start an OIDC login: redirects the browser to the provider',
    description:
      'Authorization code flow with PKCE (S256), a random state and nonce. The provider sends the browser back to ' +
      '/api/auth/oidc/callback, which answers like POST /api/auth/login. Providers are configured by name in OIDC_PROVIDERS.',
  })
  @ApiQuery({ name: 'provider', type: String, required: true, description: 'A provider name from OIDC_PROVIDERS', example: 'google' })
  @ApiResponse({
    status: 302,
    description: "Redirect to the provider's authorization endpoint",
    headers: {
      Location: { description: "The provider's authorization URL", schema: { type: 'string', format: 'uri' } },
      'Set-Cookie': { description: COOKIE_DOC, schema: { type: 'string' } },
    },
  })
  @ApiErrors(400)
  async login(@Query('provider') provider: unknown, @Res({ passthrough: true }) reply: SlipwayReply) {
    const { location, cookie } = await this.flow.start(provider);
    reply.header('Set-Cookie', cookie).header('Cache-Control', 'no-store');
    return { url: location, statusCode: 302 };
  }

  @Public()
  @Get('callback')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Finish an OIDC login: the provider redirects here; returns a JWT like POST /api/auth/login',
    description:
      'Checks state against the login cookie, exchanges the code (with the PKCE verifier), verifies the ID token ' +
      '(signature via the provider JWKS, issuer, audience, expiry, nonce), then logs in the account linked to this ' +
      'identity, or links the account with the same verified email, or creates one.',
  })
  @ApiQuery({ name: 'code', type: String, required: false, description: 'Authorization code' })
  @ApiQuery({ name: 'state', type: String, required: true, description: 'The state sent to the provider' })
  @ApiQuery({ name: 'iss', type: String, required: false, description: 'Issuer of the response (RFC 9207)' })
  @ApiQuery({ name: 'error', type: String, required: false, description: 'Set by the provider when the login was refused, e.g. access_denied' })
  @ApiQuery({ name: 'error_description', type: String, required: false })
  @ApiResponse({
    status: 200,
    type: LoginResponseDto,
    description: 'Logged in: the same body as POST /api/auth/login',
    headers: { 'Set-Cookie': { description: `Deletes ${PENDING_LOGIN_COOKIE}`, schema: { type: 'string' } } },
  })
  @ApiErrors(400, 401)
  async callback(@Query() query: Record<string, unknown>, @Req() req: SlipwayRequest, @Res({ passthrough: true }) reply: SlipwayReply) {
    reply.header('Cache-Control', 'no-store');
    const check = this.flow.checkCallback(query, req.headers.cookie);
    // Once the state matched, the login is used up, whatever happens next.
    if (!check.ok && check.consumed) reply.header('Set-Cookie', this.flow.clearCookie());
    if (!check.ok) throw check.error;
    reply.header('Set-Cookie', this.flow.clearCookie());

    const identity = await this.flow.complete(check.login, check.code, check.iss);
    const session = await this.downstream.request(
      IdentityApi.oidcLogin,
      { ...identity, sessionTtlSeconds: this.config.jwtExpiresIn },
      { ...headersOf(req), commandId: undefined },
    );
    const { user } = session;
    this.access.rememberSession(session.sessionId, user.id, session.expiresAt);
    return {
      token: this.tokens.sign(user, session.sessionId, session.expiresAt),
      expiresIn: this.config.jwtExpiresIn,
      user: { id: user.id, username: user.username, email: user.email, roles: user.roles },
    };
  }
}
