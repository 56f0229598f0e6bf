/** The adapters an instance uses when none is given; picked at `createCountly` time, never at import. */
import type { Platform, StorageAdapter } from '../adapters/types.js';
import { browserPlatform } from '../adapters/platform/browser.js';
import { neutralPlatform } from '../adapters/platform/neutral.js';
import { indexedDbStorage } from '../adapters/storage/indexeddb.js';
import { memoryStorage } from '../adapters/storage/memory.js';

export function detectPlatform(): Platform {
  const g = globalThis as { document?: unknown; window?: unknown };
  return g.document !== undefined && g.window !== undefined ? browserPlatform() : neutralPlatform();
}

export function defaultStorage(): StorageAdapter {
  const g = globalThis as { indexedDB?: unknown; document?: unknown };
  return g.indexedDB !== undefined && g.document !== undefined ? indexedDbStorage() : memoryStorage();
}
