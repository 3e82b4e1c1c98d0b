import { operationIdFactory } from './openapi-conventions';

describe('operationIdFactory', () => {
  it('gives verb + noun in camelCase, plural for lists, singular otherwise', () => {
    expect(operationIdFactory('ProjectsController', 'list')).toBe('listProjects');
    expect(operationIdFactory('ProjectsController', 'get')).toBe('getProject');
    expect(operationIdFactory('ApplicationsController', 'deploy[0]')).toBe('deployApplication');
    expect(operationIdFactory('ApiKeysController', 'create[1]')).toBe('createApiKey');
  });

  it('keeps a compound method name and applies the renames', () => {
    expect(operationIdFactory('UsersController', 'updateMe')).toBe('updateMe');
    expect(operationIdFactory('UsersController', 'me')).toBe('getMe');
    expect(operationIdFactory('HealthController', 'health')).toBe('getHealth');
  });
});
