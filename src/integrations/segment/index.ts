/**
 * `chartly/segment`: a Segment device-mode destination that records into a chartly instance
 * (spec 002, Segment's Countly destination; mapping in docs/segment.md).
 *
 * Segment's packages are optional peer dependencies: nothing here imports them, so this entry
 * holds no Segment code and works with whichever of analytics-next / analytics-node is used.
 */
export { countlyDestination, DESTINATION_NAME } from './plugin.js';
export type { CountlyDestinationOptions, CountlyDestinationPlugin, CountlyDestinationPlugin as Plugin, SegmentContextLike } from './plugin.js';
export { DEFAULT_CONSENT_CATEGORIES, RESERVED_VIEW_KEYS } from './mapping.js';
export { DEFAULT_LIMITS as DEFAULT_FLATTEN_LIMITS, SEPARATOR as FLATTEN_SEPARATOR } from './flatten.js';
export type { FlattenLimits } from './flatten.js';
