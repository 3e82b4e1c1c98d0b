/**
 * Commands and events are plain discriminated unions: `type` picks the case,
 * `data` carries the payload, `metadata` carries who/when/why. Time and ids
 * arrive in command metadata so that deciders stay pure and replayable.
 */
export interface CommandMetadata {
  /** Unique per logical command; retries and Idempotency-Key replays reuse it. */
  commandId: string;
  /** ISO-8601 instant at which the command was accepted (the domain never reads the clock). */
  now: string;
  /** The user or key on whose behalf the command runs. */
  actorId: string;
  requestId?: string;
  [key: string]: unknown;
}

export interface Command<TType extends string = string, TData = unknown> {
  type: TType;
  data: TData;
  metadata: CommandMetadata;
}

export interface Event<TType extends string = string, TData = unknown> {
  type: TType;
  data: TData;
  metadata?: Record<string, unknown>;
}

/** decide(command, state) → events; evolve(state, event) → state. */
export interface Decider<C extends Command, E extends Event, S> {
  decide(command: C, state: S): E[];
  evolve(state: S, event: E): S;
  initialState: () => S;
}

export function assertNever(value: never, what = 'value'): never {
  throw new Error(`Unexpected ${what}: ${JSON.stringify(value)}`);
}

export function fold<E extends Event, S>(decider: Pick<Decider<Command, E, S>, 'evolve' | 'initialState'>, events: readonly E[]): S {
  return events.reduce((state, event) => decider.evolve(state, event), decider.initialState());
}
