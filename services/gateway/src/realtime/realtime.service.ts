import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { AppError } from '@slipway/core';
import { ProjectsApi } from '@slipway/projects-contracts';
import { eventSubjectOf, type PublicEvent } from '@slipway/messaging';
import { WebSocketServer, type WebSocket } from 'ws';
import { AccessService } from '../access/access.service';
import { ApplicationAccess } from '../applications/application-access';
import { TokensService } from '../auth/tokens.service';
import type { Principal, SlipwayRequest } from '../conventions/request';
import { errorBody } from '../conventions/error-body';
import { Downstream } from '../downstream';
import { headersOf } from '../request-headers';
import { logMessage, routeEvent, type Routed } from './channels';
import { Connection, type Credential, type Subscription } from './connection';
import { LogFollowers } from './log-followers';
import { CLOSE_CODES, errorMessage, parseClientMessage, type ClientMessage, type Filter } from './protocol';
import { realtimeSettings, type RealtimeSettings } from './settings';
import { matchUpgradePath, type UpgradeRoute } from './upgrade-routes';

const EVENT_SUBJECTS = ['slipway.events.deployments.DeploymentProgressed', 'slipway.events.deployments.ResourceAlertRaised'];

/**
 * The gateway's WebSocket (`/api/ws`, and the log URLs when a client asks to
 * upgrade): authenticates like REST, checks each subscription with the same
 * permission rules as the REST reads, and fans the public events every
 * replica hears over core NATS (no shared consumer: each replica serves its
 * own clients) out to the matching subscriptions.
 */
@Injectable()
export class RealtimeService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Realtime');
  readonly settings: RealtimeSettings = realtimeSettings();
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024, perMessageDeflate: false });
  private readonly connections = new Set<Connection>();
  /** Event streams (logs?follow=true) of principals, ended like connections when their credential is. */
  private readonly streams = new Set<{ principal: Principal; end: (reason: string) => void }>();
  private readonly index = new Map<string, Set<Subscription>>();
  private readonly guard: ApplicationAccess;
  private readonly natsSubscriptions: Array<{ unsubscribe(): void }> = [];
  private heartbeat?: NodeJS.Timeout;
  private stopListening?: () => void;
  readonly logs: LogFollowers;

  constructor(
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(Downstream) private readonly downstream: Downstream,
    @Inject(AccessService) private readonly access: AccessService,
    @Inject(TokensService) private readonly tokens: TokensService,
  ) {
    this.guard = new ApplicationAccess(downstream, access);
    this.logs = new LogFollowers(downstream);
  }

  onApplicationBootstrap(): void {
    const server = this.adapterHost.httpAdapter.getHttpServer() as import('node:http').Server;
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    const nc = this.downstream.bus.connection;
    for (const subject of EVENT_SUBJECTS) {
      this.natsSubscriptions.push(
        nc.subscribe(eventSubjectOf(subject, this.downstream.bus.instance), {
          callback: (err, msg) => {
            if (err) return;
            try {
              const routed = routeEvent(msg.json<PublicEvent>());
              if (routed) this.dispatch(routed);
            } catch (e) {
              this.logger.warn(`Ignoring a malformed event on ${msg.subject}: ${(e as Error).message}`);
            }
          },
        }),
      );
    }
    // A revocation reaches every replica as an identity event: connections are re-checked at once.
    this.stopListening = this.access.onIdentityEvent((event) => {
      if (['ApiKeyRevoked', 'SessionEnded', 'TeamMemberRemoved', 'TeamMemberRoleChanged'].includes(event.type)) this.recheckAll();
    });
    this.heartbeat = setInterval(() => this.beat(), this.settings.heartbeatMs).unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.heartbeat);
    this.stopListening?.();
    for (const s of this.natsSubscriptions) s.unsubscribe();
    for (const conn of this.connections) this.drop(conn, CLOSE_CODES.goingAway, 'The gateway is shutting down; reconnect');
    this.wss.close();
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  // ------------------------------------------------------------------ connecting

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://gateway');
    const route = matchUpgradePath(url.pathname, url.searchParams);
    if (!route) {
      const requestId = `ws-${randomUUID()}`;
      const body = JSON.stringify(errorBody({ code: 'RESOURCE_NOT_FOUND', message: `No WebSocket at ${url.pathname}; connect to /api/ws` }, requestId));
      socket.end(`HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => void this.accept(ws, req, url, route));
  }

  private async accept(ws: WebSocket, req: IncomingMessage, url: URL, route: UpgradeRoute): Promise<void> {
    const id = `ws-${randomUUID()}`;
    // Until the credential is checked: frames a client sends on open wait here, and a
    // socket error must not be an unhandled 'error' event (it would end the process).
    const early: Array<string | null> = [];
    const hold = (data: import('ws').RawData, isBinary: boolean) => early.push(isBinary ? null : data.toString());
    ws.on('message', hold);
    ws.on('error', () => undefined);
    let auth: { principal: Principal; credential: Credential };
    try {
      auth = await this.authenticate(req, url);
    } catch (e) {
      const err = e instanceof AppError ? e : new AppError('UNAUTHORIZED', 'Authentication failed');
      ws.send(JSON.stringify(errorMessage(err, id)));
      ws.close(CLOSE_CODES.unauthenticated, err.code);
      return;
    }
    const mine = [...this.connections].filter((c) => c.principal.userId === auth.principal.userId).length;
    if (mine >= this.settings.maxConnectionsPerUser) {
      ws.send(JSON.stringify(errorMessage(new AppError('RATE_LIMIT_EXCEEDED', `At most ${this.settings.maxConnectionsPerUser} WebSocket connections per user`), id)));
      ws.close(CLOSE_CODES.tooMany, 'RATE_LIMIT_EXCEEDED');
      return;
    }
    const conn = new Connection(id, ws, auth.principal, auth.credential, req.socket.remoteAddress, this.settings);
    this.connections.add(conn);
    ws.off('message', hold);
    ws.on('pong', () => (conn.alive = true));
    ws.on('message', (data, isBinary) => void this.onMessage(conn, isBinary ? null : data.toString()));
    ws.on('close', () => this.forget(conn));
    ws.on('error', () => this.forget(conn));
    if (ws.readyState !== ws.OPEN) return this.forget(conn);
    conn.send({ type: 'welcome', connectionId: id, heartbeatMs: this.settings.heartbeatMs, channels: ['deployment.status', 'application.logs', 'resource.alert'] });
    if (route.kind !== 'ws') {
      // A log URL opened as a WebSocket: one subscription, made for the client.
      await this.subscribe(conn, { type: 'subscribe', id: 'logs', channel: 'application.logs', filter: {} }, route);
    }
    for (const raw of early) void this.onMessage(conn, raw);
  }

  /** `?token=` (JWT or API key), `Authorization: Bearer|Api-Key`, or `x-api-key`: the same credentials as REST. */
  private async authenticate(req: IncomingMessage, url: URL): Promise<{ principal: Principal; credential: Credential }> {
    const header = req.headers.authorization;
    const apiKeyHeader = req.headers['x-api-key'];
    let credential = url.searchParams.get('token') ?? undefined;
    if (!credential && typeof apiKeyHeader === 'string' && apiKeyHeader) credential = apiKeyHeader.trim();
    if (!credential && header) {
      const match = /^(Bearer|Api-Key)\s+(\S+)$/i.exec(header);
      if (!match) throw new AppError('INVALID_TOKEN', 'The Authorization header must be "Bearer <token>" or "Api-Key <key>"');
      credential = match[2];
    }
    if (!credential) throw new AppError('UNAUTHORIZED', 'Authentication required: connect with ?token=<JWT or API key> or an Authorization header');
    if (credential.startsWith('slw_')) {
      const principal = await this.access.authenticateKey(credential);
      return { principal, credential: { kind: 'apiKey', token: credential } };
    }
    const principal = this.tokens.verify(credential);
    await this.access.checkSession(principal.sessionId!, principal.userId);
    const exp = Number(JSON.parse(Buffer.from(credential.split('.')[1] ?? '', 'base64url').toString('utf8') || '{}').exp ?? 0);
    return { principal, credential: { kind: 'jwt', sessionId: principal.sessionId!, expiresAt: exp * 1000 } };
  }

  /** Why the connection may no longer stay, or null. */
  private revokedReason(conn: Connection, now = Date.now()): string | null {
    const c = conn.credential;
    if (c.kind === 'jwt') {
      if (this.access.isSessionRevoked(c.sessionId)) return 'The session ended (logged out)';
      if (c.expiresAt && c.expiresAt <= now) return 'The token expired';
      return null;
    }
    try {
      const record = this.access.model.authenticateKey(c.token, now);
      return record === 'unknown' ? 'The API key is no longer known' : null;
    } catch (e) {
      return (e as Error).message;
    }
  }

  /** Ends `end` when the principal's key is revoked or its session ends; returns the unregistration. */
  watchStream(principal: Principal, end: (reason: string) => void): () => void {
    const entry = { principal, end };
    this.streams.add(entry);
    return () => this.streams.delete(entry);
  }

  private principalEnded(principal: Principal, now = Date.now()): string | null {
    if (principal.keyId) return this.access.model.keyEnded(principal.keyId, now) ? 'The API key was revoked or expired' : null;
    if (principal.sessionId && this.access.isSessionRevoked(principal.sessionId)) return 'The session ended (logged out)';
    return null;
  }

  private recheckAll(): void {
    for (const stream of [...this.streams]) {
      const reason = this.principalEnded(stream.principal);
      if (reason) {
        this.streams.delete(stream);
        stream.end(reason);
      }
    }
    for (const conn of this.connections) {
      const reason = this.revokedReason(conn);
      if (reason) {
        conn.send(errorMessage(new AppError('INVALID_TOKEN', reason), conn.id));
        this.drop(conn, CLOSE_CODES.revoked, 'INVALID_TOKEN');
      }
    }
  }

  private beat(): void {
    for (const conn of this.connections) {
      if (!conn.alive) {
        this.drop(conn, CLOSE_CODES.heartbeatTimeout, 'No pong within the heartbeat interval');
        continue;
      }
      conn.alive = false;
      conn.ws.ping();
      conn.sender.flush();
    }
    // Expiry is a matter of time, not of an event.
    this.recheckAll();
  }

  private drop(conn: Connection, code: number, reason: string): void {
    conn.close(code, reason);
    this.forget(conn);
  }

  private forget(conn: Connection): void {
    conn.closed = true;
    if (!this.connections.delete(conn)) return;
    for (const sub of conn.subscriptions.values()) this.unindex(sub);
    conn.subscriptions.clear();
  }

  // ------------------------------------------------------------------ messages

  private async onMessage(conn: Connection, raw: string | null): Promise<void> {
    let message: ClientMessage;
    try {
      if (raw === null) throw new AppError('INVALID_INPUT', 'Send text frames of JSON; binary frames are not understood', { field: 'message' });
      message = parseClientMessage(raw);
    } catch (e) {
      conn.send(errorMessage(e as AppError, conn.id, idOf(raw)));
      return;
    }
    switch (message.type) {
      case 'ping':
        conn.send({ type: 'pong', ...(message.id ? { id: message.id } : {}) });
        return;
      case 'unsubscribe': {
        const sub = conn.subscriptions.get(message.id);
        if (!sub) {
          conn.send(errorMessage(AppError.notFound('subscription', message.id), `${conn.id}:${message.id}`, message.id));
          return;
        }
        conn.subscriptions.delete(message.id);
        this.unindex(sub);
        conn.send({ type: 'unsubscribed', id: message.id });
        return;
      }
      case 'subscribe':
        await this.subscribe(conn, message);
        return;
      default:
        return message satisfies never;
    }
  }

  private async subscribe(conn: Connection, message: Extract<ClientMessage, { type: 'subscribe' }>, route?: UpgradeRoute): Promise<void> {
    const requestId = `${conn.id}:${message.id}`;
    try {
      if (conn.subscriptions.has(message.id)) throw AppError.conflict(`A subscription with id '${message.id}' exists on this connection; unsubscribe first or use another id`);
      if (conn.subscriptions.size >= this.settings.maxSubscriptions) {
        throw new AppError('UNPROCESSABLE_ENTITY', `At most ${this.settings.maxSubscriptions} subscriptions per connection`);
      }
      const req = { id: requestId, principal: conn.principal, ip: conn.clientIp, headers: {} } as unknown as SlipwayRequest;
      let filter: Filter = message.filter;
      let teamId: string;
      let stop: (() => void) | undefined;
      if (route && route.kind === 'deploymentLogs') {
        const deployment = await this.guard.readDeployment(conn.principal, route.id, req);
        teamId = deployment.teamId;
        filter = { deploymentId: route.id };
      } else {
        const appId = route?.kind === 'applicationLogs' ? route.id : filter.applicationId;
        if (route) filter = { applicationId: appId };
        if (filter.deploymentId) teamId = (await this.guard.readDeployment(conn.principal, filter.deploymentId, req)).teamId;
        else if (filter.applicationId) teamId = (await this.guard.readApplication(conn.principal, filter.applicationId, req)).teamId;
        else teamId = await this.readProjectTeam(conn.principal, filter.projectId!, req);
      }
      if (conn.closed) return;
      const [key, value] = Object.entries(filter)[0];
      const sub: Subscription = { id: message.id, channel: message.channel, filter, indexKey: `${message.channel}|${key}:${value}`, teamId, conn };
      if (message.channel === 'application.logs') {
        const scope = this.guard.scope(conn.principal, 'application:read');
        const line = (l: Parameters<typeof logMessage>[0]) => this.deliver(sub, 'application.logs', logMessage(l).data);
        const ended = (why: string) => this.endedStream(conn, sub, why);
        stop =
          route?.kind === 'deploymentLogs'
            ? this.logs.followDeployment(conn.principal, route.id, scope, route.options, line, ended)
            : this.logs.followApplication(
                conn.principal,
                filter.applicationId!,
                scope,
                route?.kind === 'applicationLogs' ? route.options : {},
                line,
                (err) => conn.send(errorMessage(new AppError('SERVICE_UNAVAILABLE', `The application's output cannot be followed now: ${err.message}`), requestId, sub.id)),
                ended,
              );
      }
      sub.stop = stop;
      conn.subscriptions.set(message.id, sub);
      this.indexAdd(sub);
      conn.send({ type: 'subscribed', id: message.id, channel: message.channel, filter });
    } catch (e) {
      const err = e instanceof AppError ? e : new AppError('SERVICE_UNAVAILABLE', 'The subscription could not be checked; retry');
      conn.send(errorMessage(err, requestId, message.id));
      if (route) this.drop(conn, CLOSE_CODES.notFound, err.code);
    }
  }

  private endedStream(conn: Connection, sub: Subscription, why: string): void {
    conn.send({ type: 'end', id: sub.id, reason: why });
    if (sub.id === 'logs' && conn.subscriptions.size === 1) this.drop(conn, CLOSE_CODES.normal, why);
  }

  private async readProjectTeam(principal: Principal, projectId: string, req: SlipwayRequest): Promise<string> {
    const scope = { teamIds: this.access.model.teamsFor(principal, 'project:read') };
    const project = await this.downstream.request(ProjectsApi.get, { projectId, scope }, headersOf(req));
    this.access.model.requireProjectInKeyScope(principal, project.id);
    return project.teamId;
  }

  // ------------------------------------------------------------------ delivery

  private indexAdd(sub: Subscription): void {
    let set = this.index.get(sub.indexKey);
    if (!set) this.index.set(sub.indexKey, (set = new Set()));
    set.add(sub);
  }

  private unindex(sub: Subscription): void {
    sub.stop?.();
    const set = this.index.get(sub.indexKey);
    set?.delete(sub);
    if (set?.size === 0) this.index.delete(sub.indexKey);
  }

  /** One event to every subscription whose filter it matches, for principals that may still read its team. */
  dispatch(routed: Routed): void {
    for (const [key, value] of Object.entries(routed.keys)) {
      if (typeof value !== 'string') continue;
      const subs = this.index.get(`${routed.channel}|${key}:${value}`);
      if (!subs) continue;
      // One serialisation per event, not per client: 500 subscribers cost 500 string joins.
      const data = `${routed.at ? `"at":${JSON.stringify(routed.at)},` : ''}"data":${JSON.stringify(routed.data)}`;
      for (const sub of subs) this.deliverRaw(sub, routed.channel, data);
    }
  }

  private deliver(sub: Subscription, channel: string, data: unknown): void {
    this.deliverRaw(sub, channel, `"data":${JSON.stringify(data)}`);
  }

  /** `rest` is the message's tail, already serialised (`"at":…,"data":{…}`). */
  private deliverRaw(sub: Subscription, channel: string, rest: string): void {
    if (sub.conn.closed) return;
    if (this.access.model.decide(sub.conn.principal, 'application:read', sub.teamId) !== 'allow') return;
    sub.conn.sender.send(`{"type":${JSON.stringify(channel)},"subscription":${JSON.stringify(sub.id)},${rest}}`);
  }
}

function idOf(raw: string | null): string | undefined {
  if (!raw) return undefined;
  try {
    const id = (JSON.parse(raw) as { id?: unknown }).id;
    return typeof id === 'string' && id.length <= 64 ? id : undefined;
  } catch {
    return undefined;
  }
}
