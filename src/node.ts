/**
 * chartly for Node.js: everything in `chartly`, plus file storage and the Node platform.
 * Here `createCountly` and `init` default `platform` to `nodePlatform()` (OS, version and
 * architecture in `begin_session` metrics) and `storage` to `fileStorage(defaultStorageDir())`
 * — `.chartly` under the working directory (docs/adapters.md "Node defaults") — so a process
 * that restarts loses nothing. Pass `storage` to choose another place (or `memoryStorage()`).
 */
import { createCountly as createCore, init as initCore } from './sdk.js';
import { nodePlatform } from './adapters/platform/node.js';
import { fileStorage } from './adapters/storage/file.js';
import { defaultStorageDir } from './node-defaults.js';
import type { Countly, CountlyConfig } from './types.js';
import { createBackend as createCoreBackend } from './backend/index.js';
import type { BackendConfig, CountlyBackend } from './backend/types.js';

export * from './index.js';
export { fileStorage } from './adapters/storage/file.js';
export { nodePlatform, type NodePlatformOptions } from './adapters/platform/node.js';
export { defaultStorageDir, DEFAULT_STORAGE_DIRNAME, gracefulShutdown, type Drainable, type GracefulShutdownOptions } from './node-defaults.js';

/** The config with the Node defaults filled in where the developer left them out. Never throws. */
function withNodeDefaults<C extends CountlyConfig | BackendConfig>(config: C): C {
  if (typeof config !== 'object' || config === null) return config;
  try {
    // One read of each option (a getter may answer differently twice); the core reads the copy.
    const out: C = { ...config };
    if (out.platform === undefined) out.platform = nodePlatform();
    if (out.storage === undefined) out.storage = fileStorage(defaultStorageDir());
    return out;
  } catch {
    return config; // a config whose getters or traps throw: the core warns about it and uses its defaults
  }
}

/** `createCountly` with the Node platform and file storage by default. */
export function createCountly(config: CountlyConfig): Countly {
  return createCore(withNodeDefaults(config));
}

/** `init` with the Node platform and file storage by default. */
export function init(config: CountlyConfig): Countly {
  return initCore(withNodeDefaults(config));
}

/** `createBackend` with the Node platform and file storage (`.chartly/`, namespace `backend:<appKey>`) by default. */
export function createBackend(config: BackendConfig): CountlyBackend {
  return createCoreBackend(withNodeDefaults(config));
}
