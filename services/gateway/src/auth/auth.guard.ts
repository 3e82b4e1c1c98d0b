import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppError } from '@slipway/core';
import type { SlipwayRequest } from '../conventions/request';
import { IS_PUBLIC } from './public.decorator';
import { RevocationsService } from './revocations.service';
import { TokensService } from './tokens.service';

/** Every route needs a valid, unrevoked Bearer token unless marked @Public(). */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(TokensService) private readonly tokens: TokensService,
    @Inject(RevocationsService) private readonly revocations: RevocationsService,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const request = context.switchToHttp().getRequest<SlipwayRequest>();
    const header = request.headers.authorization;
    if (!header) {
      throw new AppError('UNAUTHORIZED', 'Authentication required: send Authorization: Bearer <token> (POST /api/auth/login gives one)');
    }
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new AppError('INVALID_TOKEN', 'The Authorization header must be "Bearer <token>"');
    const principal = this.tokens.verify(match[1]);
    if (this.revocations.isRevoked(principal.sessionId)) {
      throw new AppError('INVALID_TOKEN', 'The token was revoked (logged out); log in again');
    }
    request.principal = principal;
    return true;
  }
}
