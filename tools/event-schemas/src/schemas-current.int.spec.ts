import { generateEventDataSchemas, readGeneratedFile, renderGeneratedFile } from './generate';

describe('libs/webhooks-contracts/src/generated/event-data-schemas.ts', () => {
  it('is what the contracts’ types generate today (else: npm run events:schemas and commit)', () => {
    expect(readGeneratedFile()).toBe(renderGeneratedFile(generateEventDataSchemas()));
  }, 120_000);
});
