import { AppError } from './errors';
import { fold, type Command, type Decider, type Event } from './decider';

/**
 * Given events / when command / then events or error — Emmett's DeciderSpecification
 * shape, framework-free so any test runner's `expect` can be used on the outcome.
 */
export function deciderSpec<C extends Command, E extends Event, S>(decider: Decider<C, E, S>) {
  return {
    given(events: E[]) {
      return {
        when(command: C) {
          const run = (): E[] => decider.decide(command, fold(decider, events));
          return {
            /** The events decided, or throws when the decider refused. */
            events: run,
            /** The AppError the decider threw (fails loudly when it did not throw one). */
            error(): AppError {
              try {
                const produced = run();
                throw new Error(`expected an error, got events ${JSON.stringify(produced)}`);
              } catch (e) {
                if (e instanceof AppError) return e;
                throw e;
              }
            },
          };
        },
      };
    },
  };
}
