/**
 * Consent as plain data (spec: User Consent): the full state of every feature, the
 * resolution of feature and group names, the wire param, and which feature gates which
 * internal event. No logging here: resolvers return what they could not use.
 */
import type { ResolvedConfig } from '../config.js';
import type { BehaviorSettings } from './behavior-settings.js';
import { ConsentFeatures, type ConsentFeature, type ConsentState } from './types.js';

/** Every feature set to `given`, in wire order. */
export function allConsent(given: boolean): ConsentState {
  return Object.fromEntries(ConsentFeatures.map((f) => [f, given])) as unknown as ConsentState;
}

export function isConsentFeature(name: unknown): name is ConsentFeature {
  return typeof name === 'string' && (ConsentFeatures as readonly string[]).includes(name);
}

/** A state with `features` set to `given`; the rest unchanged. */
export function withConsent(state: ConsentState, features: readonly ConsentFeature[], given: boolean): ConsentState {
  const next: Record<ConsentFeature, boolean> = { ...state };
  for (const f of features) next[f] = given;
  return next;
}

export function sameConsent(a: ConsentState, b: ConsentState): boolean {
  return ConsentFeatures.every((f) => a[f] === b[f]);
}

/** The features whose value differs between two states. */
export function consentDelta(before: ConsentState, after: ConsentState): ConsentFeature[] {
  return ConsentFeatures.filter((f) => before[f] !== after[f]);
}

/** The features given in a state, in wire order. */
export function givenFeatures(state: ConsentState): ConsentFeature[] {
  return ConsentFeatures.filter((f) => state[f]);
}

/**
 * spec: User Consent > Networking and Params — the `consent` param: a JSON object with the
 * full current state of every known feature, not only the changed ones.
 */
export function consentParam(state: ConsentState): string {
  return JSON.stringify(Object.fromEntries(ConsentFeatures.map((f) => [f, state[f] === true])));
}

/** spec: SDK Behavior Settings > cr — the server can only turn consent enforcement on. */
export function requiresConsent(config: Pick<ResolvedConfig, 'requiresConsent'>, settings: BehaviorSettings = {}): boolean {
  return config.requiresConsent || settings.cr === true;
}

/**
 * The consent state every feature starts with: all given when consent is not required;
 * otherwise only the config's `consent` list (spec: setConsentEnabled).
 */
export function initialConsent(config: Pick<ResolvedConfig, 'requiresConsent' | 'consent'>, settings: BehaviorSettings = {}): ConsentState {
  if (!requiresConsent(config, settings)) return allConsent(true);
  return withConsent(allConsent(false), config.consent, true);
}

/** Named groups of features (spec: createFeatureGroup). */
export type FeatureGroups = Readonly<Record<string, readonly ConsentFeature[]>>;

export interface Resolved {
  features: ConsentFeature[];
  /** Names that are neither a feature nor a group. */
  unknown: string[];
}

/**
 * Feature and group names → features, each once, in wire order. spec: giveConsent — "groups
 * are also accepted". A feature name wins over a group of the same name (creating one is refused).
 */
export function resolveFeatures(names: readonly string[], groups: FeatureGroups): Resolved {
  const found = new Set<ConsentFeature>();
  const unknown: string[] = [];
  for (const name of names) {
    if (isConsentFeature(name)) found.add(name);
    else if (Object.hasOwn(groups, name)) for (const f of groups[name] ?? []) found.add(f);
    else unknown.push(name);
  }
  return { features: ConsentFeatures.filter((f) => found.has(f)), unknown };
}

/**
 * spec: getConsent — a feature's value; for a group, true only if every feature of it is
 * given; unknown names are false. Without required consent everything is true.
 */
export function checkConsent(state: ConsentState, required: boolean, name: string, groups: FeatureGroups): boolean {
  if (!required) return true;
  if (isConsentFeature(name)) return state[name];
  const group = Object.hasOwn(groups, name) ? groups[name] : undefined;
  if (group === undefined) return false;
  return group.every((f) => state[f]);
}

/** spec: checkAllConsent — true only if every known feature is given (or consent is not required). */
export function checkAllConsent(state: ConsentState, required: boolean): boolean {
  return !required || ConsentFeatures.every((f) => state[f]);
}

/**
 * spec: User Consent — internal events are gated by their own feature, never by `events`.
 * Every other key is a custom event (`events`).
 */
const INTERNAL_EVENT_FEATURES: Readonly<Record<string, ConsentFeature>> = /* @__PURE__ */ Object.freeze({
  '[CLY]_view': 'views',
  '[CLY]_nps': 'feedback',
  '[CLY]_survey': 'feedback',
  '[CLY]_star_rating': 'star-rating',
  '[CLY]_orientation': 'users',
  '[CLY]_push_action': 'push',
  '[CLY]_action': 'clicks',
});

/**
 * The feature that gates recording an event. `[CLY]_action` is a click, or a scroll when its
 * segmentation says `type: 'scroll'` (spec: Heatmaps).
 */
export function consentFeatureOfEvent(key: string, segmentation?: Readonly<Record<string, unknown>>): ConsentFeature {
  if (key === '[CLY]_action' && segmentation?.type === 'scroll') return 'scrolls';
  return Object.hasOwn(INTERNAL_EVENT_FEATURES, key) ? (INTERNAL_EVENT_FEATURES[key] as ConsentFeature) : 'events';
}
