import { RouteTable } from './route-table';

describe('RouteTable', () => {
  it('lists the methods a concrete path answers, without the CORS catch-all OPTIONS', () => {
    // given routes as fastify registers them
    const table = new RouteTable();
    table.add('/api/projects', ['GET', 'HEAD']);
    table.add('/api/projects', 'POST');
    table.add('/api/projects/:id', ['GET', 'PATCH', 'DELETE']);
    table.add('*', 'OPTIONS');

    // then a concrete path matches its patterns only
    expect(table.allowedMethods('/api/projects')).toEqual(['GET', 'HEAD', 'POST']);
    expect(table.allowedMethods('/api/projects/abc')).toEqual(['DELETE', 'GET', 'PATCH']);
    expect(table.allowedMethods('/api/projects/abc/more')).toEqual([]);
    expect(table.allowedMethods('/api/nothing')).toEqual([]);
  });
});
