import { Secret } from './secret';
import { toValidationIssues } from './validation';

describe('toValidationIssues', () => {
  it('lists field, message, constraint and received', () => {
    expect(
      toValidationIssues([{ property: 'name', value: 'My App!', constraints: { matches: 'Name must be alphanumeric' } }]),
    ).toEqual([{ field: 'name', message: 'Name must be alphanumeric', constraint: 'pattern', received: 'My App!' }]);
  });

  it('names nested fields with dots and unknown fields explicitly', () => {
    const issues = toValidationIssues([
      { property: 'resources', children: [{ property: 'cpu', value: 9, constraints: { max: 'too much' } }] },
      { property: 'bogus', value: 1, constraints: { whitelistValidation: 'property bogus should not exist' } },
    ]);
    expect(issues).toEqual([
      { field: 'resources.cpu', message: 'too much', constraint: 'range', received: 9 },
      { field: 'bogus', message: "Unknown field 'bogus'", constraint: 'unknownField', received: 1 },
    ]);
  });

  it('never echoes a password', () => {
    const [issue] = toValidationIssues([{ property: 'password', value: 'hunter2', constraints: { minLength: 'too short' } }]);
    expect(issue).not.toHaveProperty('received');
  });

  it('never echoes a field marked @Secret, such as an env var value, nor one named like a secret', () => {
    // given a DTO whose value field is secret
    class EnvVar {
      @Secret() value!: string;
    }
    const target = Object.assign(new EnvVar(), { value: 'sk_live_plaintext' });

    // when its validation fails
    const issues = toValidationIssues([
      { property: 'env', children: [{ property: '0', children: [{ property: 'value', value: 'sk_live_plaintext', target, constraints: { maxLength: 'too long' } }] }] },
      { property: 'apiToken', value: 'tok', constraints: { isString: 'must be a string' } },
    ]);

    // then neither value appears anywhere in the issues
    expect(issues).toHaveLength(2);
    expect(JSON.stringify(issues)).not.toMatch(/sk_live_plaintext|"tok"/);
  });

  it('quotes only short primitives: long strings are cut, objects and arrays left out', () => {
    const [long, nested] = toValidationIssues([
      { property: 'description', value: 'y'.repeat(20_000), constraints: { maxLength: 'too long' } },
      { property: 'name', value: { a: [[[1]]] }, constraints: { isString: 'must be a string' } },
    ]);
    expect(String(long!.received).length).toBeLessThan(100);
    expect(nested).not.toHaveProperty('received');
  });
});

