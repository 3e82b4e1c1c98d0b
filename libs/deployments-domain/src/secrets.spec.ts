import { maskEnvVars } from './secrets';

describe('maskEnvVars', () => {
  it('masks secret values for display and keeps the others', () => {
    const stored = [
      { key: 'PORT', value: '8080', isSecret: false },
      { key: 'TOKEN', value: 'enc:v1:abc', isSecret: true },
    ];
    expect(maskEnvVars(stored)).toEqual([
      { key: 'PORT', value: '8080', isSecret: false },
      { key: 'TOKEN', value: '********', isSecret: true },
    ]);
  });
});
