import type { FastifyReply, FastifyRequest } from 'fastify';

/** What the gateway learns about a request on its way in, for handlers and services. */
export interface Principal {
  kind: 'user' | 'apiKey';
  /** The user, or for an API key its creator (whose current rights cap the key's). */
  userId: string;
  /** JWT session (users only). */
  sessionId?: string;
  /** API key id (keys only). */
  keyId?: string;
  key?: { teamId: string; projectIds: string[] | null; permission: 'read' | 'read-write' };
  username?: string;
  roles: string[];
  /** The user's personal team: the default home of what they create. */
  teamId: string;
}

export interface SlipwayRequest extends FastifyRequest {
  principal?: Principal;
  /** Derived from Idempotency-Key on POST. */
  commandId?: string;
  requestHash?: string;
  /** Set when the request ended in an error, for the audit of refused changes. */
  failure?: { code: string; message: string };
}

export type SlipwayReply = FastifyReply;
