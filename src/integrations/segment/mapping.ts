/**
 * Segment event → Countly call, as pure functions (no chartly instance, no I/O) so they are
 * tested on their own. The plugin (plugin.ts) applies what these return through chartly's
 * public API. The mapping and its reasons are in docs/segment.md.
 *
 * Seed (spec 002): "The event name will map to the countly “key” and we automatically set
 * “count” to 1. If you add properties to the event those will be passed to Countly as well."
 * and "use our track method with a property labeled revenue. The value must be a number."
 */
import type { ConsentFeature, Segmentation } from '../../types.js';
import { flatten, objectKeys, readKey, toScalar, type FlattenLimits, type Scalar } from './flatten.js';

/** The fields of a Segment event this destination reads (analytics-next and analytics-node alike). */
export interface SegmentEventFields {
  type?: unknown;
  event?: unknown;
  name?: unknown;
  category?: unknown;
  properties?: unknown;
  traits?: unknown;
  userId?: unknown;
  previousId?: unknown;
  groupId?: unknown;
  context?: unknown;
  integrations?: unknown;
}

export interface MappedEvent {
  key: string;
  count: 1;
  sum?: number;
  segmentation: Segmentation;
  dropped: string[];
}

export interface MappedView {
  name: string;
  segmentation: Segmentation;
  dropped: string[];
}

export interface MappedUser {
  properties: Record<string, Scalar>;
  dropped: string[];
}

const field = (source: unknown, key: string): unknown => {
  const read = readKey(source, key);
  return read.ok ? read.value : undefined;
};

const has = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

/** Sets an own data key (a `__proto__` trait stays an ordinary key). */
function setOwn(target: Record<string, Scalar>, key: string, value: Scalar): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim().length > 0 ? value : undefined);

/** A Segment ID: a non-empty string, or a finite number (analytics.js allowed numbers). */
export function segmentId(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return text(value);
}

/** `track` → one event: key = name, count 1, a finite numeric `revenue` → sum (and out of the segmentation). */
export function mapTrack(event: SegmentEventFields, limits: FlattenLimits): MappedEvent | { error: string } {
  const key = text(event.event);
  if (key === undefined) return { error: 'track without an event name' };
  const revenue = field(event.properties, 'revenue');
  // Only a number is revenue (seed: "The value must be a number"); `value` is not revenue.
  const sum = typeof revenue === 'number' && Number.isFinite(revenue) ? revenue : undefined;
  const { values, dropped } = flatten(event.properties, { limits, omit: sum !== undefined ? ['revenue'] : [] });
  return sum !== undefined ? { key, count: 1, sum, segmentation: values, dropped } : { key, count: 1, segmentation: values, dropped };
}

/** Keys the views feature reserves for itself (spec 001, Views); dropped here so no warning repeats per page. */
export const RESERVED_VIEW_KEYS: readonly string[] = /* @__PURE__ */ Object.freeze(['name', 'visit', 'start', 'segment', 'bounce', 'exit', 'view', 'domain', 'dur']);

/**
 * `page` / `screen` → a view. Its name: the page/screen name, else the path (properties, then
 * `context.page`), else the URL, else the title. Properties are the view's segmentation; a
 * top-level `category` joins them when the properties lack it.
 */
export function mapView(event: SegmentEventFields, limits: FlattenLimits): MappedView | { error: string } {
  const page = field(event.context, 'page');
  const name =
    text(event.name) ??
    text(field(event.properties, 'name')) ??
    text(field(event.properties, 'path')) ??
    text(field(page, 'path')) ??
    text(field(event.properties, 'url')) ??
    text(field(page, 'url')) ??
    text(field(event.properties, 'title'));
  if (name === undefined) return { error: `${String(event.type)} without a name or path` };
  const { values, dropped } = flatten(event.properties, { limits, omit: RESERVED_VIEW_KEYS });
  const category = text(event.category);
  if (category !== undefined && !has(values, 'category') && Object.keys(values).length < limits.maxSegmentationValues) {
    values.category = toScalar(category, limits) as string;
  }
  return { name, segmentation: values, dropped };
}

/** Segment's spec'd traits that Countly has a predefined field for, and the traits they consume. */
const CONSUMED_TRAITS: readonly string[] = ['name', 'firstName', 'lastName', 'username', 'email', 'phone', 'avatar', 'gender', 'birthday', 'company', 'id'];

/** Countly expects `M` / `F` (spec 000, user details); other answers are kept as given. */
export function countlyGender(value: string): string {
  if (/^(m|male|man)$/i.test(value.trim())) return 'M';
  if (/^(f|female|woman)$/i.test(value.trim())) return 'F';
  return value;
}

/** Segment's `birthday` (an ISO-8601 date, a Date, or ms) → the year Countly's `byear` holds. */
export function birthYear(value: unknown): number | undefined {
  let date: Date | undefined;
  if (value instanceof Date) date = value;
  else if (typeof value === 'string' && value.trim() !== '') {
    const year = /^\s*(\d{4})(?:-|$)/.exec(value);
    if (year) return Number(year[1]);
    date = new Date(value);
  } else if (typeof value === 'number' && Number.isFinite(value)) date = new Date(value);
  const time = date?.getTime();
  if (date === undefined || time === undefined || !Number.isFinite(time)) return undefined;
  // A birthday is a calendar date: a Date at UTC midnight was made from an ISO date
  // (`new Date('1980-01-01')`), any other from local parts (`new Date(1980, 0, 1)`, "Jan 1, 1980").
  return time % 86_400_000 === 0 ? date.getUTCFullYear() : date.getFullYear();
}

/**
 * `identify` traits → user details. Predefined: name (or "firstName lastName"), username,
 * email, phone, avatar → picture, gender (→ M/F where recognizable), birthday → byear,
 * company.name (or a company string) → organization. Everything else (including the rest of
 * `company`, `address`, …) becomes custom properties, flattened with `_`, scalars only.
 */
export function mapTraits(traits: unknown, limits: FlattenLimits): MappedUser {
  const properties: Record<string, Scalar> = {};
  const dropped: string[] = [];
  const set = (key: string, value: Scalar | undefined): void => {
    if (value !== undefined) setOwn(properties, key, value);
  };
  const str = (key: string): string | undefined => {
    const v = toScalar(field(traits, key), limits);
    return v === undefined || typeof v === 'boolean' ? undefined : text(String(v));
  };

  const first = str('firstName');
  const last = str('lastName');
  set('name', str('name') ?? ([first, last].filter((p) => p !== undefined).join(' ') || undefined));
  set('username', str('username'));
  set('email', str('email'));
  set('phone', str('phone'));
  set('picture', text(field(traits, 'avatar'))); // picture may be longer than maxValueSize (4,096): chartly cuts it
  const gender = str('gender');
  set('gender', gender !== undefined ? countlyGender(gender) : undefined);
  set('byear', birthYear(field(traits, 'birthday')));

  const company = field(traits, 'company');
  const companyIsObject = objectKeys(company) !== null;
  set('organization', companyIsObject ? text(field(company, 'name')) : text(company));

  const rest = flatten(traits, { limits, omit: CONSUMED_TRAITS, scalarsOnly: true });
  dropped.push(...rest.dropped);
  for (const [key, value] of Object.entries(rest.values)) if (!has(properties, key)) setOwn(properties, key, value as Scalar);
  if (companyIsObject) {
    const other = flatten(company, { limits, omit: ['name'], prefix: 'company', scalarsOnly: true });
    dropped.push(...other.dropped.map((d) => `company.${d}`));
    for (const [key, value] of Object.entries(other.values)) if (!has(properties, key)) setOwn(properties, key, value as Scalar);
  }
  if (first !== undefined && !has(properties, 'firstName')) setOwn(properties, 'firstName', first);
  if (last !== undefined && !has(properties, 'lastName')) setOwn(properties, 'lastName', last);
  return { properties, dropped };
}

/** `group` → custom user properties `group` (the group ID) and `group_<trait>` (its traits, flattened). */
export function mapGroup(event: SegmentEventFields, limits: FlattenLimits): MappedUser | { error: string } {
  const groupId = segmentId(event.groupId);
  if (groupId === undefined) return { error: 'group without a groupId' };
  const properties: Record<string, Scalar> = { group: toScalar(groupId, limits) as string };
  const traits = flatten(event.traits, { limits, prefix: 'group', scalarsOnly: true });
  for (const [key, value] of Object.entries(traits.values)) if (!has(properties, key)) setOwn(properties, key, value as Scalar);
  return { properties, dropped: traits.dropped };
}

/**
 * Segment consent categories → chartly consent features. Category names are matched without
 * regard to case. The defaults follow the categories Segment's consent docs and the common
 * consent managers use; pass `consentCategories` to replace them (e.g. OneTrust's `C0002`).
 */
export const DEFAULT_CONSENT_CATEGORIES: Readonly<Record<string, readonly ConsentFeature[]>> = /* @__PURE__ */ Object.freeze({
  analytics: ['sessions', 'events', 'views', 'users', 'location', 'metrics', 'apm', 'crashes', 'clicks', 'scrolls', 'forms'],
  performance: ['sessions', 'events', 'views', 'users', 'location', 'metrics', 'apm', 'crashes', 'clicks', 'scrolls', 'forms'],
  functional: ['remote-config', 'content', 'feedback', 'star-rating'],
  advertising: ['attribution', 'push'],
  marketing: ['attribution', 'push'],
  targeting: ['attribution', 'push'],
});

/** `context.consent.categoryPreferences` of an event, when it has any. */
export function categoryPreferences(event: SegmentEventFields): Record<string, boolean> | undefined {
  const prefs = field(field(event.context, 'consent'), 'categoryPreferences');
  const keys = objectKeys(prefs);
  if (keys === null) return undefined;
  const out: Record<string, boolean> = {};
  for (const key of keys) {
    const value = field(prefs, key);
    if (typeof value === 'boolean') out[key] = value;
  }
  return out;
}

/**
 * The consent each mapped feature should have under `prefs`. A feature several categories
 * map to is given only when none of them is refused (refusal wins). Features no listed
 * category maps to are absent (left as they are).
 */
export function consentFor(prefs: Record<string, boolean>, categories: Readonly<Record<string, readonly string[]>>): Map<string, boolean> {
  const byName = new Map<string, readonly string[]>();
  for (const [name, features] of Object.entries(categories)) byName.set(name.toLowerCase(), features);
  const out = new Map<string, boolean>();
  for (const [category, given] of Object.entries(prefs)) {
    const features = byName.get(category.toLowerCase());
    if (!features) continue;
    for (const feature of features) out.set(feature, (out.get(feature) ?? true) && given);
  }
  return out;
}
