import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { Principal, SlipwayRequest } from '../conventions/request';

export const IS_PUBLIC = 'slipway:public';
/** Routes reachable without a token (login, register, health, docs). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

export const CurrentUser = createParamDecorator((_data: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<SlipwayRequest>().principal;
  if (!principal) throw new Error('CurrentUser used on a public route');
  return principal;
});
