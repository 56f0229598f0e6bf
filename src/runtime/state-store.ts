/**
 * The observable state of an instance. A change is emitted at once when `state$` has
 * subscribers (API: "emits on every change"); with none, it is only marked and computed when
 * `getState()` or a new subscriber asks — no work per change when nobody listens.
 */
import { BehaviorSubject, defer, distinctUntilChanged, type Observable } from 'rxjs';
import type { CountlyState } from '../state.js';

export class StateStore {
  private readonly subject: BehaviorSubject<CountlyState>;
  private dirty = false;

  /** `compute` derives the state; `settle` runs first on every read (hands over buffered records). */
  constructor(
    private readonly compute: () => CountlyState,
    private readonly settle: () => void,
  ) {
    this.subject = new BehaviorSubject<CountlyState>(compute());
  }

  /** Something changed. */
  publish(): void {
    this.dirty = true;
    if (this.subject.observed) this.emit();
  }

  private emit(): void {
    if (!this.dirty) return;
    this.dirty = false;
    this.subject.next(this.compute());
  }

  get state$(): Observable<CountlyState> {
    return defer(() => {
      // A subscriber starts from the state as it is now, not as of the last emission.
      this.settle();
      this.emit();
      return this.subject;
    }).pipe(distinctUntilChanged((a, b) => JSON.stringify(a) === JSON.stringify(b)));
  }

  get(): CountlyState {
    this.settle();
    this.emit();
    return this.subject.value;
  }
}
