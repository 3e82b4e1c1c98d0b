import { AppError, type Command, type CommandMetadata, type Decider, type Event } from '@slipway/core';
import { randomUUID } from 'node:crypto';

/** A tiny decider used by the tests: apps that can be created and renamed. */
export type AppCommand = Command<'CreateApp', { name: string }> | Command<'RenameApp', { name: string }>;
export type AppEvent = Event<'AppCreated', { name: string }> | Event<'AppRenamed', { name: string }>;
export interface AppState {
  exists: boolean;
  name: string | null;
  renames: number;
}

export const appDecider: Decider<AppCommand, AppEvent, AppState> = {
  initialState: () => ({ exists: false, name: null, renames: 0 }),
  decide(command, state) {
    switch (command.type) {
      case 'CreateApp':
        if (state.exists) throw AppError.conflict('App already exists');
        return [{ type: 'AppCreated', data: { name: command.data.name } }];
      case 'RenameApp':
        if (!state.exists) throw AppError.notFound('app', 'unknown');
        // Renaming to the current name is a no-op: no events, still a recorded command.
        if (state.name === command.data.name) return [];
        return [{ type: 'AppRenamed', data: { name: command.data.name }, metadata: { source: 'decider' } }];
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'AppCreated':
        return { exists: true, name: event.data.name, renames: 0 };
      case 'AppRenamed':
        return { ...state, name: event.data.name, renames: state.renames + 1 };
    }
  },
};

export function meta(overrides: Partial<CommandMetadata> = {}): CommandMetadata {
  return { commandId: randomUUID(), now: '2030-01-01T00:00:00.000Z', actorId: 'user-1', requestId: 'req-1', ...overrides };
}

export const appResult = (state: AppState, newEvents: AppEvent[], version: number) => ({
  name: state.name,
  renames: state.renames,
  newEvents: newEvents.length,
  version,
});
