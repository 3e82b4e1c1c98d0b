import { AppError } from '@slipway/core';
import { REGISTRATION_MODES, type RegistrationMode } from '@slipway/identity-contracts';

/** `SLIPWAY_REGISTRATION`, checked at start-up: a typo must not open registration. */
export function parseRegistrationMode(raw: string | undefined): RegistrationMode | undefined {
  const value = raw?.trim();
  if (!value) return undefined;
  if (!(REGISTRATION_MODES as readonly string[]).includes(value)) {
    throw new Error(`SLIPWAY_REGISTRATION must be one of ${REGISTRATION_MODES.join(', ')} (got ${JSON.stringify(value)})`);
  }
  return value as RegistrationMode;
}

export type RegistrationOutcome = 'owner' | 'member' | 'invited';

/**
 * Pure: may someone register, given the configured mode (unset: open until
 * the owner exists, then invite), whether any account exists yet, and
 * whether they bring an invitation? Refusals say what to do instead.
 */
export function decideRegistration(mode: RegistrationMode | undefined, ownerExists: boolean, hasInvitation: boolean): RegistrationOutcome {
  const effective: RegistrationMode = mode ?? (ownerExists ? 'invite' : 'open');
  if (effective === 'closed') {
    throw new AppError('FORBIDDEN', 'Registration is closed on this installation (SLIPWAY_REGISTRATION=closed); ask its administrator for an account', {
      registration: 'closed',
    });
  }
  if (hasInvitation) return 'invited';
  if (effective === 'invite') {
    throw new AppError(
      'FORBIDDEN',
      'Registration here is by invitation: ask an administrator for one (POST /api/invitations) and register with its "invitationToken"',
      { registration: 'invite', field: 'invitationToken' },
    );
  }
  return ownerExists ? 'member' : 'owner';
}
