export * from './client';
export * from './errors';
export * from './streams';
export * from './usage';
export * from './host';
// Test support: other libs' and the end-to-end tests' Docker checks (fail loudly, never skip).
export { requireTestEngine, TEST_BASE_IMAGE } from './testing/engine';
