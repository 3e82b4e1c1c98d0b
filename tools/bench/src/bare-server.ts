import { createServer } from 'node:http';

// The baseline: Node's own HTTP server answering a JSON body about the size of a
// one-page project list. Whatever the gateway costs is measured against this.
const body = JSON.stringify({
  data: Array.from({ length: 20 }, (_, i) => ({ id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, name: `project-${i}` })),
  pagination: { hasMore: false, nextCursor: null, prevCursor: null, total: 20 },
});
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(body);
});
server.listen(Number(process.argv[2]), '127.0.0.1', () => process.send?.('ready'));
