import 'reflect-metadata';
import {
  Inject,
  Injectable,
  Module,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { IdentityApi, PRIVATE_EVENT_FIELDS } from '@slipway/identity-contracts';
import { AUDIT_SUBJECTS, IdentityApplication, logMailer, parseRegistrationMode } from '@slipway/identity-domain';
import { RUNTIME, bootstrapService, requestContextOf, runtimeProvider, type ServiceRuntime } from '@slipway/service-host';

/** Password hashes never leave this service, not even in public events. */
function publicData(_type: string, data: unknown): unknown {
  if (!data || typeof data !== 'object') return data;
  const copy = { ...(data as Record<string, unknown>) };
  for (const field of PRIVATE_EVENT_FIELDS) delete copy[field];
  return copy;
}

@Injectable()
class IdentityTransport implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    @Inject(RUNTIME) private readonly runtime: ServiceRuntime,
    @Inject(IdentityApplication) private readonly app: IdentityApplication,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.app.start();
    const { bus } = this.runtime;
    bus.serve(IdentityApi.register, (req, ctx) => this.app.register(req, requestContextOf(ctx.headers)));
    bus.serve(IdentityApi.login, (req, ctx) => this.app.login(req, requestContextOf(ctx.headers)));
    bus.serve(IdentityApi.oidcLogin, (req, ctx) => this.app.oidcLogin(req, requestContextOf(ctx.headers)));
    bus.serve(IdentityApi.logout, (req, ctx) => this.app.logout(req, requestContextOf(ctx.headers)));
    bus.serve(IdentityApi.ensureOwner, (req, ctx) => this.app.ensureOwner(req, requestContextOf(ctx.headers)));
    bus.serve(IdentityApi.me, (req) => this.app.me(req.userId));
    bus.serve(IdentityApi.revokedSessions, () => this.app.revokedSessions());
    bus.serve(IdentityApi.updateMe, (req, ctx) => this.app.updateMe(req, requestContextOf(ctx.headers)));
    bus.serve(IdentityApi.loginAccount, (req) => this.app.loginAccount(req.identifier));
    bus.serve(IdentityApi.session, (req) => this.app.session(req.sessionId));
    bus.serve(IdentityApi.createInvitation, (req, ctx) => this.app.createInvitation(req, requestContextOf(ctx.headers)));
    bus.serve(IdentityApi.listInvitations, (req) => this.app.listInvitations(req.actorId));
    bus.serve(IdentityApi.revokeInvitation, (req, ctx) => this.app.revokeInvitation(req, requestContextOf(ctx.headers)));
    bus.serve(IdentityApi.requestEmailVerification, (req, ctx) => this.app.requestEmailVerification(req.userId, requestContextOf(ctx.headers)));
    bus.serve(IdentityApi.verifyEmail, (req, ctx) => this.app.verifyEmail(req.token, requestContextOf(ctx.headers)));
    bus.serve(IdentityApi.createTeam, (req, ctx) => this.app.createTeam(req, requestContextOf(ctx.headers)));
    bus.serve(IdentityApi.addMember, (req, ctx) => this.app.addMember(req, requestContextOf(ctx.headers)));
    bus.serve(IdentityApi.changeMemberRole, (req, ctx) => this.app.changeMemberRole(req, requestContextOf(ctx.headers)));
    bus.serve(IdentityApi.removeMember, (req, ctx) => this.app.removeMember(req, requestContextOf(ctx.headers)));
    bus.serve(IdentityApi.listTeams, (req) => this.app.listTeams(req.userId));
    bus.serve(IdentityApi.teamMembers, (req) => this.app.teamMembers(req.teamId));
    bus.serve(IdentityApi.createApiKey, (req, ctx) => this.app.createApiKey(req, requestContextOf(ctx.headers)));
    bus.serve(IdentityApi.revokeApiKey, (req, ctx) => this.app.revokeApiKey(req.keyId, requestContextOf(ctx.headers)));
    bus.serve(IdentityApi.recordApiKeyUse, (req) => this.app.recordApiKeyUse(req.uses));
    bus.serve(IdentityApi.listApiKeys, (req) => this.app.listApiKeys(req.userId, req.teamIds));
    bus.serve(IdentityApi.apiKey, (req) => this.app.apiKey(req.keyId));
    bus.serve(IdentityApi.accessSnapshot, () => this.app.accessSnapshot());
    bus.serve(IdentityApi.audit, (req) => this.app.audit(req));
    await this.runtime.subscribe('audit', {
      filterSubjects: AUDIT_SUBJECTS,
      handler: async (event) => {
        await this.app.recordAudit(event);
      },
    });
    this.runtime.serveHealth(IdentityApi.health);
    this.runtime.log(`ready (${this.runtime.instance}, instance ${this.runtime.slipwayInstance})`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.runtime.quiesce();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runtime.stop();
  }
}

@Module({
  providers: [
    runtimeProvider({ service: 'identity', publicData }),
    {
      provide: IdentityApplication,
      useFactory: (rt: ServiceRuntime) =>
        new IdentityApplication(rt.store, {
          registration: parseRegistrationMode(process.env.SLIPWAY_REGISTRATION),
          // No mail transport yet: verification links go to this service's log (README, "Accounts").
          mailer: logMailer((line) => rt.log(line)),
        }),
      inject: [RUNTIME],
    },
    IdentityTransport,
  ],
})
class IdentityModule {}

bootstrapService(IdentityModule, 'identity');
