/** How often an object looks for calls past their deadline: a late call fails up to this much after it. */
const TICK_MS = 100;

/**
 * Deadlines for one object's calls to others, on one timer: a call still unanswered at its
 * deadline is rejected (the call itself is not cancelled). The timer ticks only while calls are
 * waiting, and a call adds no timer of its own, so a busy object's writes set no timers at all.
 */
export class Deadlines {
  private readonly waiting = new Set<{ dueMs: number; fail: () => void }>();
  private timer: ReturnType<typeof setInterval> | null = null;

  /** Settles as `call` does, or rejects once `ms` have passed without an answer. */
  async race<T>(call: T, ms: number, what: string): Promise<Awaited<T>> {
    let fail!: () => void;
    const deadline = new Promise<never>((_, reject) => {
      fail = () => reject(new Error(`${what}: no answer within ${ms} ms`));
    });
    const entry = { dueMs: Date.now() + ms, fail };
    this.waiting.add(entry);
    this.timer ??= setInterval(() => this.sweep(), TICK_MS);
    try {
      return await Promise.race([call, deadline]);
    } finally {
      this.waiting.delete(entry);
    }
  }

  /** Fails the calls past their deadline; stops the timer once none is waiting. */
  private sweep(): void {
    const now = Date.now();
    for (const entry of this.waiting) {
      if (entry.dueMs > now) continue;
      this.waiting.delete(entry);
      entry.fail();
    }
    if (this.waiting.size === 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }
}
