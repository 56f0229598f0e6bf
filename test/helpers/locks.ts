/** A stand-in for the browser's Web Locks (`navigator.locks`): exclusive locks by name, granted in request order; `drop` is a tab that dies without closing. */
export class FakeLocks {
  readonly held = new Set<string>();
  /** Every name asked for, in order. */
  readonly names: string[] = [];
  private readonly waiting = new Map<string, Array<() => void>>();

  async request(name: string, callback: () => Promise<unknown>): Promise<unknown> {
    this.names.push(name);
    while (this.held.has(name)) {
      await new Promise<void>((wake) => {
        const list = this.waiting.get(name) ?? [];
        list.push(wake);
        this.waiting.set(name, list);
      });
    }
    this.held.add(name);
    try {
      return await callback();
    } finally {
      this.held.delete(name);
      this.waiting.get(name)?.shift()?.();
    }
  }

  async query(): Promise<{ held: Array<{ name: string }>; pending: Array<{ name: string }> }> {
    return { held: [...this.held].map((name) => ({ name })), pending: [] };
  }

  drop(prefix: string): void {
    for (const name of this.held) if (name.startsWith(prefix)) this.held.delete(name);
  }
}
