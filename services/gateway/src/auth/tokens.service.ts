import { Inject, Injectable } from '@nestjs/common';
import { createSecretKey, type KeyObject } from 'node:crypto';
import * as jwt from 'jsonwebtoken';
import { AppError } from '@slipway/core';
import type { UserView } from '@slipway/identity-contracts';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import type { Principal } from '../conventions/request';

interface Claims {
  sub: string;
  sid: string;
  username: string;
  roles: string[];
  teamId: string;
}

/** HS256 JWTs; the session id (`sid`) is what logout revokes. */
@Injectable()
export class TokensService {
  /**
   * A KeyObject made once: given a string, jsonwebtoken tries to parse it as a
   * public key on every call and throws before falling back, which cost about
   * a millisecond of CPU per request (measured with --cpu-prof under load).
   */
  private readonly key: KeyObject;

  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {
    this.key = createSecretKey(Buffer.from(config.jwtSecret, 'utf8'));
  }

  sign(user: UserView, sessionId: string, expiresAt: string): string {
    const claims: Claims = { sub: user.id, sid: sessionId, username: user.username, roles: user.roles, teamId: user.teamId };
    const exp = Math.floor(Date.parse(expiresAt) / 1000);
    return jwt.sign({ ...claims, exp }, this.key, { algorithm: 'HS256', issuer: 'slipway' });
  }

  verify(token: string): Principal {
    try {
      const claims = jwt.verify(token, this.key, { algorithms: ['HS256'], issuer: 'slipway' }) as jwt.JwtPayload & Claims;
      // Every token Slipway signs expires and names its session: one without either was not made here.
      if (typeof claims.sub !== 'string' || typeof claims.sid !== 'string' || typeof claims.exp !== 'number') throw new Error('claims');
      return { kind: 'user', userId: claims.sub, sessionId: claims.sid, username: claims.username, roles: claims.roles ?? [], teamId: claims.teamId };
    } catch (e) {
      const expired = e instanceof jwt.TokenExpiredError;
      throw new AppError('INVALID_TOKEN', expired ? 'The token has expired; log in again' : 'The token is invalid; log in again');
    }
  }
}
