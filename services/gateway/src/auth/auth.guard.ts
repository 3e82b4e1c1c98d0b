import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppError } from '@slipway/core';
import { AccessService } from '../access/access.service';
import type { SlipwayRequest } from '../conventions/request';
import { IS_PUBLIC } from './public.decorator';
import { TokensService } from './tokens.service';

/**
 * Every route needs a credential unless marked @Public(): a JWT
 * (`Authorization: Bearer <jwt>`) or an API key (`Authorization: Api-Key <key>`,
 * `x-api-key: <key>`, or `Authorization: Bearer slw_...`).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(TokensService) private readonly tokens: TokensService,
    @Inject(AccessService) private readonly access: AccessService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const request = context.switchToHttp().getRequest<SlipwayRequest>();
    const header = request.headers.authorization;
    const apiKeyHeader = request.headers['x-api-key'];
    if (typeof apiKeyHeader === 'string' && apiKeyHeader) {
      request.principal = await this.access.authenticateKey(apiKeyHeader.trim());
      return true;
    }
    if (!header) {
      throw new AppError(
        'UNAUTHORIZED',
        'Authentication required: send Authorization: Bearer <token> (POST /api/auth/login gives one) or an API key (Authorization: Api-Key <key>)',
      );
    }
    const match = /^(Bearer|Api-Key)\s+(\S+)$/i.exec(header);
    if (!match) throw new AppError('INVALID_TOKEN', 'The Authorization header must be "Bearer <token>" or "Api-Key <key>"');
    const [, scheme, credential] = match;
    if (scheme.toLowerCase() === 'api-key' || credential.startsWith('slw_')) {
      request.principal = await this.access.authenticateKey(credential);
      return true;
    }
    const principal = this.tokens.verify(credential);
    await this.access.checkSession(principal.sessionId!, principal.userId);
    request.principal = principal;
    return true;
  }
}
