// Whole-platform tests start processes and wait on them; per-project testTimeout is not honoured by jest's projects.
jest.setTimeout(180_000);
