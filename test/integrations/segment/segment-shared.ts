/** Helpers shared by the Segment destination tests: reading what the local Countly server got. */
import type { CountlyTestServer } from '../../../src/server/index.js';

/** The `user_details` objects the server accepted, in order, with their device IDs. */
export function userDetails(server: CountlyTestServer): Array<{ device_id: string; details: Record<string, unknown> }> {
  return server
    .accepted()
    .filter((r) => r.params.user_details !== undefined)
    .map((r) => ({ device_id: r.params.device_id ?? '', details: JSON.parse(r.params.user_details!) as Record<string, unknown> }));
}

/** The device-ID merges the server accepted: `old_device_id` → `device_id`. */
export function merges(server: CountlyTestServer): Array<{ from: string; to: string }> {
  return server
    .accepted()
    .filter((r) => r.params.old_device_id !== undefined)
    .map((r) => ({ from: r.params.old_device_id!, to: r.params.device_id ?? '' }));
}

/** The consent requests the server accepted, each parsed. */
export function consents(server: CountlyTestServer): Array<Record<string, boolean>> {
  return server
    .accepted()
    .filter((r) => r.params.consent !== undefined)
    .map((r) => JSON.parse(r.params.consent!) as Record<string, boolean>);
}

/** Events other than the SDK's own internal ones, without the fields the clock decides. */
export function customEvents(server: CountlyTestServer): Array<Record<string, unknown>> {
  return server
    .events()
    .filter((e) => !e.key.startsWith('[CLY]_'))
    .map(({ key, count, sum, segmentation, device_id }) => ({ key, count, ...(sum !== undefined ? { sum } : {}), segmentation, device_id }));
}

/** The `[CLY]_view` starts: name and the developer's segmentation (the SDK's own keys removed). */
export function viewStarts(server: CountlyTestServer): Array<{ name: unknown; segmentation: Record<string, unknown> }> {
  return server
    .events()
    .filter((e) => e.key === '[CLY]_view' && (e.segmentation as Record<string, unknown> | undefined)?.visit !== undefined)
    .map((e) => {
      const { name, visit: _visit, start: _start, segment: _segment, ...rest } = e.segmentation as Record<string, unknown>;
      return { name, segmentation: rest };
    });
}
