import type { DeploymentLogEntry } from '@slipway/deployments-contracts';
import { redact } from './secrets';

const MAX_LINE = 4000;

/**
 * A deployment's output, line by line as it happens: each line is stamped
 * when it arrives and appended in small batches (every 250 ms or 200 lines)
 * as DeploymentLogged events, so readers see a build progress while it runs
 * without one event store append per line. Secret values never get in.
 */
export class DeploymentLog {
  private pending: DeploymentLogEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private secrets: string[] = [];

  constructor(
    private readonly write: (lines: DeploymentLogEntry[]) => Promise<void>,
    private readonly onError: (err: unknown) => void,
    private readonly now: () => Date = () => new Date(),
  ) {}

  redacting(secrets: string[]): void {
    this.secrets = secrets;
  }

  add(stage: DeploymentLogEntry['stage'], level: DeploymentLogEntry['level'], message: string): void {
    const text = redact(message.length > MAX_LINE ? `${message.slice(0, MAX_LINE)}…` : message, this.secrets);
    this.pending.push({ at: this.now().toISOString(), stage, level, message: text });
    if (this.pending.length >= 200) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), 250);
      this.timer.unref();
    }
  }

  info(stage: DeploymentLogEntry['stage'], message: string): void {
    this.add(stage, 'info', message);
  }

  /** Resolves when everything added so far is stored (in order). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const lines = this.pending;
    this.pending = [];
    if (lines.length > 0) {
      this.chain = this.chain.then(() => this.write(lines).catch((err: unknown) => this.onError(err)));
    }
    return this.chain;
  }
}
