import { IdentityApi } from '@slipway/identity-contracts';
import { MessageBus } from '@slipway/messaging';

/**
 * Creates the owner account on the first start and prints its credentials
 * (once: the identity service creates it only while no owner exists).
 * SLIPWAY_ADMIN_USERNAME, SLIPWAY_ADMIN_EMAIL and SLIPWAY_ADMIN_PASSWORD
 * choose them; without a password one is generated.
 */
export async function ensureOwner(natsUrl: string, instance?: string): Promise<void> {
  const bus = await MessageBus.connect({ name: 'slipway-start', servers: natsUrl, instance });
  try {
    const result = await bus.request(
      IdentityApi.ensureOwner,
      {
        username: process.env.SLIPWAY_ADMIN_USERNAME ?? 'admin',
        email: process.env.SLIPWAY_ADMIN_EMAIL ?? 'admin@slipway.local',
        password: process.env.SLIPWAY_ADMIN_PASSWORD || undefined,
      },
      { timeoutMs: 30_000 },
    );
    if (result.created && result.user) {
      const lines = [
        'Owner account created (shown once; change the password after logging in):',
        `  username: ${result.user.username}`,
        `  email:    ${result.user.email}`,
        `  password: ${result.password ?? '(the one in SLIPWAY_ADMIN_PASSWORD)'}`,
      ];
      console.log(`\n${lines.join('\n')}\n`);
    }
  } finally {
    await bus.close();
  }
}
