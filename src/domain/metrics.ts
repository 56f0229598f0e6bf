/**
 * The `metrics` parameter of `begin_session` (spec: Device Metrics): what the platform
 * reports, the app version as `_app_version`, then the developer's `metricOverride` on
 * top ("in every metric retrieval, SDK should append metric overrides after forming
 * metrics"). Pure: the caller reads the platform.
 */

/** Keeps only string values: the wire wants a flat JSON object of strings. */
function strings(source: unknown): Record<string, string> {
  if (typeof source !== 'object' || source === null || Array.isArray(source)) return {};
  // fromEntries defines own properties, so a `__proto__` key stays a plain key.
  return Object.fromEntries(
    Object.entries(source as Record<string, unknown>).filter(
      (entry): entry is [string, string] => entry[0] !== '' && typeof entry[1] === 'string',
    ),
  );
}

/**
 * The metrics object: platform metrics < `_app_version` < overrides. Non-string values and
 * empty keys are dropped; an override may replace any metric, `_app_version` included.
 */
export function buildMetrics(
  platformMetrics: Record<string, string> | undefined,
  appVersion: string,
  metricOverride: Record<string, string> = {},
): Record<string, string> {
  return { ...strings(platformMetrics), _app_version: appVersion, ...strings(metricOverride) };
}

/** The `metrics` request param: the metrics object as JSON. */
export function metricsParam(
  platformMetrics: Record<string, string> | undefined,
  appVersion: string,
  metricOverride: Record<string, string> = {},
): string {
  return JSON.stringify(buildMetrics(platformMetrics, appVersion, metricOverride));
}
