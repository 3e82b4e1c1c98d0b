import type { FastifyReply, FastifyRequest } from 'fastify';

/** What the gateway learns about a request on its way in, for handlers and services. */
export interface Principal {
  userId: string;
  sessionId: string;
  username: string;
  roles: string[];
  teamId: string;
}

export interface SlipwayRequest extends FastifyRequest {
  principal?: Principal;
  /** Derived from Idempotency-Key on POST. */
  commandId?: string;
  requestHash?: string;
}

export type SlipwayReply = FastifyReply;
