import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { offlineDocument } from './offline-document';

/** `node services/gateway/dist/docs/dump-openapi.js [file]`: the served document, as JSON, without starting the gateway. */
offlineDocument().then(
  (doc) => {
    const text = JSON.stringify(doc, null, 2) + '\n';
    if (process.argv[2]) writeFileSync(process.argv[2], text);
    else process.stdout.write(text);
    process.exit(0);
  },
  (err: Error) => {
    console.error(`OpenAPI dump failed: ${err.message}`);
    process.exit(1);
  },
);
