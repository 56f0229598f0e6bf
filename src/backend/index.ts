/**
 * Backend mode (`createBackend`): one recorder for many devices and app keys (SDK guide
 * l. 5207–5600, issue 12). See docs/backend.md.
 */
import { createBackendApi } from './api.js';
import { BackendInstance } from './instance.js';
import type { BackendConfig, CountlyBackend } from './types.js';

export type { BackendConfig, CountlyBackend } from './types.js';

/** Creates a backend recorder. Throws only on a missing or invalid `url` or `appKey`. */
export function createBackend(config: BackendConfig): CountlyBackend {
  return createBackendApi(new BackendInstance(config));
}
