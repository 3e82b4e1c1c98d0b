import { Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AppError } from '@slipway/core';
import { WebhooksApi, type WebhookProvider } from '@slipway/webhooks-contracts';
import { Public } from '../auth/public.decorator';
import { ApiErrors } from '../conventions/api-docs';
import { RawBody, type RawBodyRequest } from '../conventions/raw-body';
import type { SlipwayReply, SlipwayRequest } from '../conventions/request';
import { Downstream } from '../downstream';

/** Headers the webhooks service reads; nothing else of the request travels. */
const FORWARDED = [
  'content-type',
  'x-github-event',
  'x-github-delivery',
  'x-hub-signature-256',
  'x-gitlab-event',
  'x-gitlab-token',
  'x-gitlab-event-uuid',
  'idempotency-key',
] as const;

/**
 * Incoming git webhooks. Public (no JWT): the sender proves itself with the
 * application's webhook secret, which the webhooks service checks against the
 * exact body bytes.
 */
@ApiTags('webhooks')
@Controller('webhooks')
export class WebhooksController {
  constructor(@Inject(Downstream) private readonly downstream: Downstream) {}

  @Public()
  @RawBody()
  @Post('github')
  @HttpCode(202)
  @ApiOperation({ summary: 'GitHub webhook: ping, push (deploys the pushed commit). Signed with X-Hub-Signature-256' })
  @ApiHeader({ name: 'X-Hub-Signature-256', required: true, description: 'sha256=<HMAC-SHA256 of the body with the webhook secret>' })
  @ApiHeader({ name: 'X-GitHub-Event', required: true })
  @ApiHeader({ name: 'X-GitHub-Delivery', required: false, description: 'A redelivery of the same id answers as the first time' })
  @ApiResponse({ status: 202, description: '{deploymentId, status: "queued"} or {status: "ignored", reason}' })
  @ApiErrors(400, 401, 404)
  github(@Req() req: SlipwayRequest, @Res({ passthrough: true }) reply: SlipwayReply) {
    return this.receive('github', req, reply);
  }

  @Public()
  @RawBody()
  @Post('gitlab')
  @HttpCode(202)
  @ApiOperation({ summary: 'GitLab webhook: Push Hook deploys the pushed commit; Tag Push Hook is ignored. X-Gitlab-Token is the secret' })
  @ApiHeader({ name: 'X-Gitlab-Token', required: true })
  @ApiHeader({ name: 'X-Gitlab-Event', required: true })
  @ApiHeader({ name: 'X-Gitlab-Event-UUID', required: false, description: 'A redelivery of the same id answers as the first time' })
  @ApiResponse({ status: 202, description: '{deploymentId, status: "queued"} or {status: "ignored", reason}' })
  @ApiErrors(400, 401, 404)
  gitlab(@Req() req: SlipwayRequest, @Res({ passthrough: true }) reply: SlipwayReply) {
    return this.receive('gitlab', req, reply);
  }

  private async receive(provider: WebhookProvider, req: SlipwayRequest, reply: SlipwayReply) {
    const raw = (req as RawBodyRequest).rawBody;
    if (!raw || raw.length === 0) throw new AppError('INVALID_INPUT', 'The webhook has no body', { field: 'body' });
    const headers: Record<string, string> = {};
    for (const name of FORWARDED) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const answer = await this.downstream.request(
      WebhooksApi.receive,
      { provider, headers, bodyBase64: raw.toString('base64') },
      { requestId: String(req.id), clientIp: req.ip },
    );
    reply.status(answer.statusCode);
    return answer.body;
  }
}
