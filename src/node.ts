/** chartly for Node.js: everything in `chartly`, plus file storage and the Node platform. */
export * from './index.js';
export { fileStorage } from './adapters/storage/file.js';
export { nodePlatform, type NodePlatformOptions } from './adapters/platform/node.js';
