import type { RequestContextHeaders } from '@slipway/messaging';
import type { SlipwayRequest } from './conventions/request';

/** What travels from an HTTP request to the services: tracing, actor, idempotency. */
export function headersOf(req: SlipwayRequest): RequestContextHeaders {
  return {
    requestId: String(req.id),
    actorId: req.principal?.userId,
    actorType: req.principal?.kind,
    keyId: req.principal?.keyId,
    clientIp: req.ip,
    commandId: req.commandId,
    requestHash: req.requestHash,
  };
}
