import { describe, expect, it } from 'vitest';
import { EventStore } from '../../src/effects/event-store.js';
import type { WireEvent } from '../../src/domain/types.js';

const ev = (id: string): WireEvent => ({ key: `k${id}`, count: 1, timestamp: 1, hour: 0, dow: 0, id });

describe('EventStore', () => {
  it('maps persisted event IDs to storage seqs and removes them by ID', () => {
    const s = new EventStore([{ seq: 4, data: JSON.stringify(ev('a')) }]);
    expect(s.size).toBe(1);
    const ops = s.persist([ev('b'), ev('c')]);
    expect(ops.map((o) => o.op === 'append' && o.seq)).toEqual([5, 6]);
    expect(s.unpersist(['a', 'c', 'missing'])).toEqual([{ op: 'remove', queue: 'events', seqs: [4, 6] }]);
    expect(s.unpersist(['missing'])).toEqual([]);
    expect(s.size).toBe(1);
    expect(s.clear()).toEqual([{ op: 'clear', queue: 'events' }]);
    expect(s.size).toBe(0);
  });

  it('keeps events that share an ID (a view start and end) and removes them oldest first', () => {
    const s = new EventStore([{ seq: 1, data: JSON.stringify(ev('view')) }]);
    s.persist([ev('view'), ev('other')]);
    expect(s.size).toBe(3);
    expect(s.unpersist(['view'])).toEqual([{ op: 'remove', queue: 'events', seqs: [1] }]);
    expect(s.size).toBe(2);
    expect(s.unpersist(['view', 'view'])).toEqual([{ op: 'remove', queue: 'events', seqs: [2] }]);
    expect(s.unpersist(['other'])).toEqual([{ op: 'remove', queue: 'events', seqs: [3] }]);
    expect(s.size).toBe(0);
  });

  it('decodes stored events and counts corrupt ones', () => {
    const { events, corrupt } = EventStore.decode([
      { seq: 1, data: JSON.stringify(ev('a')) },
      { seq: 2, data: '{oops' },
      { seq: 3, data: '{"key":1}' },
      { seq: 4, data: 'null' },
    ]);
    expect(events.map((e) => e.id)).toEqual(['a']);
    expect(corrupt).toBe(3);
    expect(new EventStore([{ seq: 9, data: 'garbage' }]).persist([ev('x')])[0]).toMatchObject({ seq: 10 });
  });
});
