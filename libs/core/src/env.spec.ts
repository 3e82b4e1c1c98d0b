import { envInt } from './env';

describe('envInt', () => {
  it('given nothing or an empty value, then the fallback', () => {
    expect(envInt({}, 'X', 7, 1, 10)).toBe(7);
    expect(envInt({ X: '' }, 'X', 7, 1, 10)).toBe(7);
  });

  it('given an integer within bounds, then that integer', () => {
    expect(envInt({ X: '10' }, 'X', 7, 1, 10)).toBe(10);
  });

  it.each(['0', '11', '2.5', 'ten'])('given %s, then an error naming the variable and its bounds', (raw) => {
    expect(() => envInt({ X: raw }, 'X', 7, 1, 10)).toThrow(`X must be an integer between 1 and 10, got '${raw}'`);
  });
});
