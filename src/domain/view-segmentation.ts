/**
 * The segmentation rules of view events, as pure functions (spec: View Tracking > View
 * Structure, SDK Internal Limits). Warnings are returned as text; the caller logs them.
 */
import type { Limits } from '../config.js';
import { param } from '../log.js';
import { setOwn } from '../protocol/encode.js';
import { sanitizeSegmentation } from './limits.js';
import type { Segmentation } from './types.js';

/** spec 001 l.1921 (View Structure): custom segmentation cannot override these. */
export const RESERVED_VIEW_KEYS: readonly string[] = /* @__PURE__ */ Object.freeze(['name', 'visit', 'start', 'segment', 'bounce', 'exit', 'view', 'domain', 'dur']);

const isReserved = (key: string): boolean => RESERVED_VIEW_KEYS.includes(key);

/**
 * Developer segmentation of a view call: reserved keys dropped (as given, and as cut to
 * maxKeyLength), unsupported values dropped, the limits applied; one warning per change.
 */
export function cleanViewSegmentation(raw: unknown, limits: Limits): { segmentation: Segmentation; warnings: string[] } {
  const warnings: string[] = [];
  const keep = (key: string): boolean => {
    if (!isReserved(key)) return true;
    warnings.push(`segmentation key ${param(key)} is reserved for views and was dropped`);
    return false;
  };
  let source = raw;
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    source = Object.fromEntries(Object.entries(raw as Record<string, unknown>).filter(([key]) => keep(key)));
  }
  const clean = sanitizeSegmentation(source, limits);
  warnings.push(...clean.warnings);
  // A key cut to maxKeyLength may become a reserved one.
  const segmentation = Object.fromEntries(Object.entries(clean.segmentation).filter(([key]) => keep(key))) as Segmentation;
  return { segmentation, warnings };
}

/**
 * The developer segmentation of one view event: the layers merged in order (a later layer's
 * value wins, the key keeps its first place), then at most `max` keys kept, the first ones —
 * the rule `sanitizeSegmentation` applies to one map. spec 001 l.4534–4542: maxSegmentationValues
 * counts "developer-supplied entries" of view and global view segmentation, and l.1706–1709:
 * global and custom view segmentation are "merged" and the result "is subject to internal
 * limits (... segmentation count)". The keys the SDK sets (`name`, `visit`, `start`,
 * `segment`, `cly_pvn`) are not developer-supplied: they are added after the cap and do not
 * count.
 */
export function mergeViewSegmentation(layers: readonly Segmentation[], max: number): { segmentation: Segmentation; dropped: number } {
  const segmentation: Segmentation = {};
  const dropped = new Set<string>();
  let count = 0;
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (!Object.hasOwn(segmentation, key)) {
        if (count >= max) {
          dropped.add(key);
          continue;
        }
        count += 1;
      }
      setOwn(segmentation, key, value);
    }
  }
  return { segmentation, dropped: dropped.size };
}
