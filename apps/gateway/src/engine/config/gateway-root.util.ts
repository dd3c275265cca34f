import path from 'node:path';

/**
 * apps/gateway, whether this runs from src (tests, swc-node) or from dist: both sit one level
 * below it with the same layout.
 */
export const GATEWAY_ROOT = path.resolve(__dirname, '..', '..', '..');
