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
});
