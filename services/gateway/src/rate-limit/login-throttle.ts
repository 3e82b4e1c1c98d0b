import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { AppError } from '@slipway/core';
import { consumeOne, type LimiterLogger, type LimiterStore } from './limiter-store';
import { loginAccountKey, loginDelayMs, rejection, type CounterResult } from './policy';
import type { LoginThrottleSettings } from './settings';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Failed password checks, per account and per client address. The account is
 * the one an identifier names (`loginAccountKey` of identity's answer: the
 * user id, whether typed as username or email in any case; an unknown name
 * counts under itself, so the throttle reveals nothing), and every check of a
 * password counts: logins and the `currentPassword` of account changes.
 *
 * Every attempt is counted before the password is checked, so parallel
 * guesses cannot slip past the limit; an attempt that succeeds clears the
 * account's counter (and is not held against the address), one that fails
 * for another reason (identity down) is handed back. After `slowdownAfter`
 * failures in a row each attempt waits a little longer before it is checked;
 * one attempt beyond `maxFailuresPerAccount` (or `maxFailuresPerAddress`)
 * blocks the account (or address) for `blockSeconds`, and while blocked no
 * password is checked at all: the answer is 429 with Retry-After.
 */
export class LoginThrottle {
  private readonly accounts: RateLimiterAbstract;
  private readonly addresses: RateLimiterAbstract;

  constructor(
    store: LimiterStore,
    private readonly settings: LoginThrottleSettings,
    private readonly logger: LimiterLogger,
    private readonly wait: (ms: number) => Promise<void> = sleep,
    private readonly now: () => number = Date.now,
  ) {
    const common = { durationSeconds: settings.windowSeconds, blockSeconds: settings.blockSeconds };
    this.accounts = store.create({ name: 'login:account', points: settings.maxFailuresPerAccount, ...common });
    this.addresses = store.create({ name: 'login:address', points: settings.maxFailuresPerAddress, ...common });
  }

  /**
   * Runs `check` (the password check) as a throttled attempt on `accountKey`
   * from `address`. An error `isWrongPassword` accepts (by default a 401)
   * counts as a failure.
   */
  async attempt<T>(
    accountKey: string,
    address: string,
    reply: { header(name: string, value: string): unknown },
    check: () => Promise<T>,
    isWrongPassword: (e: AppError) => boolean = (e) => e.code === 'UNAUTHORIZED',
  ): Promise<T> {
    const account = loginAccountKey(accountKey);
    const client = `ip:${address}`;
    let counters: [CounterResult, CounterResult] | undefined;
    try {
      counters = await Promise.all([consumeOne(this.accounts, account), consumeOne(this.addresses, client)]);
    } catch (e) {
      // Neither Redis nor memory could count: do not lock everyone out of logging in.
      this.logger.warn(`Login throttle unavailable (${(e as Error).message}); checking the password unthrottled`);
    }
    if (counters) {
      const [perAccount, perAddress] = counters;
      if (!perAccount.allowed || !perAddress.allowed) {
        // Hand back what this refused attempt took from a counter that was not the reason.
        await Promise.all([
          perAccount.allowed ? this.giveBack(this.accounts, account) : undefined,
          perAddress.allowed ? this.giveBack(this.addresses, client) : undefined,
        ]);
        const blocking = [perAccount, perAddress].filter((c) => !c.allowed);
        const waitMs = Math.max(...blocking.map((c) => c.msBeforeNext));
        const limit = !perAccount.allowed ? this.settings.maxFailuresPerAccount : this.settings.maxFailuresPerAddress;
        const now = this.now();
        const r = rejection({ limit, resetAtMs: now + waitMs }, now, 'Too many failed login attempts');
        reply.header('Retry-After', String(r.retryAfterSeconds));
        throw new AppError('RATE_LIMIT_EXCEEDED', r.message, r.details);
      }
      const delay = loginDelayMs(perAccount.consumedPoints - 1, this.settings);
      if (delay > 0) await this.wait(delay);
    }

    try {
      const result = await check();
      if (counters) await Promise.all([this.reset(account), this.giveBack(this.addresses, client)]);
      return result;
    } catch (e) {
      const wrongCredentials = e instanceof AppError && isWrongPassword(e);
      if (counters && !wrongCredentials) {
        await Promise.all([this.giveBack(this.accounts, account), this.giveBack(this.addresses, client)]);
      }
      throw e;
    }
  }

  private async reset(account: string): Promise<void> {
    await this.accounts.delete(account).catch((e: Error) => this.logger.warn(`Could not reset a login counter: ${e.message}`));
  }

  private async giveBack(limiter: RateLimiterAbstract, key: string): Promise<void> {
    await limiter.reward(key, 1).catch((e: Error) => this.logger.warn(`Could not adjust a login counter: ${e.message}`));
  }
}
