#!/usr/bin/env node
// Built by `npm run build` (npm start builds too).
require('../dist/main.js').main(process.argv).then((code) => process.exit(code));
