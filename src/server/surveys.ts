/**
 * `/o/surveys/{nps|survey|rating}/widget` of chartly-server: a feedback widget's data (SDK
 * guide l. 3497–3509, 3724–3731). GET or POST, the same app, device and checksum checks as
 * /o/sdk, then `widget_id` looked up in `widgetData`; `shown=1` counts an impression (the
 * request is recorded like every other; a test reads `received`).
 */
import { fail, isObject, ok, type Params, type Verdict } from './rules.js';
import type { ServerSettings } from './types.js';

const PATH = /^\/o\/surveys\/(nps|survey|rating)\/widget\/?$/;

/** `gate`: the /o/sdk checks (app key, device ID, checksum) — a verdict when they fail. */
export function handleSurveys(path: string, params: Params, settings: ServerSettings, gate: (params: Params) => Verdict | undefined): Verdict {
  const match = PATH.exec(path);
  if (match === null) return fail(400, 'Invalid path');
  const blocked = gate(params);
  if (blocked !== undefined) return blocked;
  const widgetId = params.widget_id;
  if (!widgetId) return fail(400, 'Missing parameter "widget_id"');
  const data = settings.widgetData !== undefined && Object.hasOwn(settings.widgetData, widgetId) ? settings.widgetData[widgetId] : undefined;
  // A widget of another type is not found under this type's path.
  if (!isObject(data) || (typeof data.type === 'string' && data.type !== match[1])) return fail(404, 'Widget not found');
  return ok(data);
}
