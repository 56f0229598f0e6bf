/**
 * Automatic page views (`views.automatic`; spec 001 l.1642–1666, l.1964; docs/views.md
 * "Automatic page views (browser)") as pure steps over the views' state.
 *
 * - spec l.1644–1646: each screen change starts an auto-stopped view; the previous one ends
 *   (`startView` ends the running auto-stopped view). A navigation to the page the current
 *   automatic view is for (a `replaceState` for scroll state, the `popstate` that comes with a
 *   `hashchange`) records nothing.
 * - spec l.1654–1657: `shortNames` names a view by `location.pathname`; the default is the
 *   full name, the whole URL (`href`, hash included: a hash route is a page of its own).
 * - spec l.1664–1666: an excluded page records neither a start nor a stop; the view before it
 *   keeps running. An exclusion matches a name equal to it, or one its regular expression
 *   finds (the web SDK's `ignore_urls` rule); an invalid expression matches exactly only.
 * - spec l.1863 (the web's view request): the start event carries `view` (the page URL) and
 *   `domain` (the host name). No referrer key: neither the guide nor the write API has one on
 *   view events (the write API's `start`, l.262, is the first-view flag the core already sets).
 */
import { param } from '../log.js';
import type { Instant, Segmentation } from './types.js';
import type { PageLocation, Step, ViewContext } from './view-state.js';
import { startView } from './views.js';

/** The name of an automatic view of this page. */
export const pageViewName = (c: Pick<ViewContext, 'shortNames'>, page: PageLocation): string => (c.shortNames ? page.pathname : page.href);

export function isExcluded(name: string, exclusions: readonly string[]): boolean {
  return exclusions.some((pattern) => {
    if (pattern === name) return true;
    try {
      return new RegExp(pattern).test(name);
    } catch {
      return false;
    }
  });
}

/** The SDK-set segmentation of an automatic view's start event. */
export function pageSegmentation(page: PageLocation): Segmentation {
  let domain = '';
  try {
    domain = new URL(page.href).hostname;
  } catch {
    // A location that is not a URL (about:blank, a test double): no domain.
  }
  return domain === '' ? { view: page.href } : { view: page.href, domain };
}

/** Records the automatic view of `page`, unless it is excluded or already the current one. */
function recordPage(c: ViewContext, page: PageLocation, at: Instant): Step {
  const name = pageViewName(c, page);
  if (name === '' || name === c.autoName) return { context: c, commands: [] };
  if (isExcluded(name, c.exclusions)) {
    return { context: c, commands: [{ type: 'log', level: 'debug', module: 'Views', message: `automatic, page ${param(name)} is excluded; not recorded` }] };
  }
  const id = `${c.idSeed}-${c.nextSeq}`;
  const step = startView({ ...c, nextSeq: c.nextSeq + 1 }, { kind: 'startAutoStopped', id, name, at, page: pageSegmentation(page) });
  return { context: { ...step.context, autoName: name }, commands: step.commands };
}

/** The platform reported a location (at init, or after a navigation) while view tracking is on. */
export function navigated(c: ViewContext, report: { location: PageLocation; at: Instant }): Step {
  if (!c.automatic) return { context: c, commands: [] };
  return recordPage({ ...c, page: report.location }, report.location, report.at);
}

/** A location reported while view tracking is off: only remembered, for when it comes back. */
export const rememberPage = (c: ViewContext, report: { location: PageLocation }): Step => ({
  context: c.automatic ? { ...c, page: report.location } : c,
  commands: [],
});

/** View tracking (re)started (consent, server settings): the page now shown gets its view. */
export function resumePage(c: ViewContext): Step {
  if (!c.automatic || c.page === null || c.lastAt === null) return { context: c, commands: [] };
  return recordPage(c, c.page, c.lastAt);
}
