/**
 * Counts the errors and warnings the logger writes and hands the counts on once per
 * microtask (`log.problems`), never from inside the log call: a warning logged in the middle
 * of a transition reaches the health check after it. Counts from before `ready` are kept and
 * handed on at `start()`; after shutdown they are dropped (the health counters were saved).
 */
export class ProblemCounter {
  private errors = 0;
  private warnings = 0;
  private scheduled = false;
  private started = false;

  constructor(
    private readonly hand: (counts: { errors: number; warnings: number }) => void,
    private readonly status: () => 'booting' | 'ready' | 'stopped',
  ) {}

  note(level: 'error' | 'warning'): void {
    if (level === 'error') this.errors++;
    else this.warnings++;
    this.schedule();
  }

  /** From now on counts are handed on (the actors run). */
  start(): void {
    this.started = true;
    this.schedule();
  }

  private schedule(): void {
    if (!this.started || this.scheduled || (this.errors === 0 && this.warnings === 0)) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      const counts = { errors: this.errors, warnings: this.warnings };
      this.errors = 0;
      this.warnings = 0;
      if (this.status() === 'ready') this.hand(counts);
    });
  }
}
