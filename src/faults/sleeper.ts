/** Timed waits that something else can cut short: a closed connection, a changed toxic. */
export class Sleeper {
  readonly #wakers = new Set<() => void>();

  /** Resolves after `ms`, or at the next wakeAll(). */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wakers.add(done);
    });
  }

  wakeAll(): void {
    for (const wake of [...this.#wakers]) wake();
  }
}
