/**
 * chartly for Node.js: everything in `chartly`, plus file storage and the Node platform.
 * Here `createCountly` and `init` default `platform` to `nodePlatform()` (OS, version and
 * architecture in `begin_session` metrics); storage stays memory unless `fileStorage(dir)`
 * is given (the SDK cannot pick a directory for the host).
 */
import { createCountly as createCore, init as initCore } from './sdk.js';
import { nodePlatform } from './adapters/platform/node.js';
import type { Countly, CountlyConfig } from './types.js';

export * from './index.js';
export { fileStorage } from './adapters/storage/file.js';
export { nodePlatform, type NodePlatformOptions } from './adapters/platform/node.js';

const withNodePlatform = (config: CountlyConfig): CountlyConfig =>
  typeof config === 'object' && config !== null && config.platform === undefined ? { ...config, platform: nodePlatform() } : config;

/** `createCountly` with the Node platform by default. */
export function createCountly(config: CountlyConfig): Countly {
  return createCore(withNodePlatform(config));
}

/** `init` with the Node platform by default. */
export function init(config: CountlyConfig): Countly {
  return initCore(withNodePlatform(config));
}
