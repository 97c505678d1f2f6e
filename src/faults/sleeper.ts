/** Timed waits that something else can cut short: a closed connection, a changed toxic. */
import { performance } from 'node:perf_hooks';

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

  /**
   * Resolves once performance.now() reaches `at` (a timer may fire up to a millisecond early:
   * it sleeps again), or when woken with `stop()` true.
   */
  async until(at: number, stop: () => boolean): Promise<void> {
    for (let i = 0; i < 3; i++) {
      const remaining = at - performance.now();
      if (remaining <= 0 || stop()) return;
      await this.sleep(Math.ceil(remaining));
    }
  }

  wakeAll(): void {
    for (const wake of [...this.#wakers]) wake();
  }
}
