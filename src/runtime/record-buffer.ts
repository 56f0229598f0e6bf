/**
 * `events.record` is the hot path: a burst of calls in one synchronous run becomes one
 * `events.recordMany` (one machine step, one grouped storage write) at the end of the run
 * (a microtask), or earlier — before any other call, delivery, timer or state read — so the
 * order of everything is the call order. Nothing is held back past the current run.
 */
import type { Instant } from '../domain/types.js';
import type { EventsRecordEvent, EventsRecordManyEvent } from '../features/events/machine.js';
import type { RecordFields } from './api-context.js';

export interface RecordBufferDeps {
  /** Stamps a clock reading taken at the call with its instant, in call order. */
  instant(reading: number): Instant;
  eventId(reading: number): string;
  /** False when records cannot be handed over (stopped): the buffer is dropped unstamped. */
  accepting(): boolean;
  /** Where stamped records go. */
  deliver(event: EventsRecordEvent | EventsRecordManyEvent): void;
}

export class RecordBuffer {
  private fields: RecordFields[] = [];
  private readings: number[] = [];
  private scheduled = false;

  constructor(private readonly deps: RecordBufferDeps) {}

  add(fields: RecordFields, reading: number): void {
    this.fields.push(fields);
    this.readings.push(reading);
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  /** Stamps the buffered records (timestamp, event ID) in call order and hands them over. */
  flush(): void {
    if (this.fields.length === 0) return;
    const fields = this.fields;
    const readings = this.readings;
    this.fields = [];
    this.readings = [];
    if (!this.deps.accepting()) return;
    const records: EventsRecordEvent[] = new Array<EventsRecordEvent>(fields.length);
    for (let i = 0; i < fields.length; i++) {
      const reading = readings[i] as number;
      records[i] = { type: 'events.record', ...(fields[i] as RecordFields), at: this.deps.instant(reading), id: this.deps.eventId(reading) };
    }
    this.deps.deliver(records.length === 1 ? records[0]! : { type: 'events.recordMany', records });
  }
}
