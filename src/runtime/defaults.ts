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

/** A page, or a dedicated/shared/service worker (module workers included): where the browser's IndexedDB lives. */
function isBrowserScope(g: { document?: unknown; WorkerGlobalScope?: unknown }): boolean {
  if (g.document !== undefined) return true;
  const scope = g.WorkerGlobalScope;
  return typeof scope === 'function' && globalThis instanceof (scope as new () => unknown);
}

/**
 * Why the default storage is memory where a browser would persist: a page or worker without
 * IndexedDB (private mode, a blocked API). `undefined` where memory is the normal default.
 */
export function defaultStorageWarning(): string | undefined {
  const g = globalThis as { indexedDB?: unknown; document?: unknown; WorkerGlobalScope?: unknown };
  if (g.indexedDB !== undefined || !isBrowserScope(g)) return undefined;
  return 'IndexedDB is not available (private mode or a blocked API): queued data is kept in memory only and is lost when the page closes';
}

/** IndexedDB wherever a browser offers it (pages and workers), memory elsewhere (Node, SSR). */
export function defaultStorage(): StorageAdapter {
  const g = globalThis as { indexedDB?: unknown; document?: unknown; WorkerGlobalScope?: unknown };
  return g.indexedDB !== undefined && isBrowserScope(g) ? indexedDbStorage() : memoryStorage();
}
