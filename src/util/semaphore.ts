/**
 * A counting semaphore: holders take a number of units (1, or a request's node budget), and
 * waiters are served in order, each for a bounded time.
 */
export class Semaphore {
  private used = 0;
  private readonly waiting: { units: number; grant: () => void }[] = [];
  private readonly capacity: number;
  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /** Waits until `units` fit (or `timeoutMs` passes: false). More than the capacity waits until nothing else is held. */
  acquire(units: number, timeoutMs: number): Promise<boolean> {
    const need = Math.min(units, this.capacity);
    if (this.waiting.length === 0 && this.used + need <= this.capacity) {
      this.used += need;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const entry = {
        units: need,
        grant: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(entry), 1);
        resolve(false);
      }, timeoutMs);
      this.waiting.push(entry);
    });
  }

  release(units: number): void {
    this.used -= Math.min(units, this.capacity);
    while (this.waiting[0] && this.used + this.waiting[0].units <= this.capacity) {
      const next = this.waiting.shift();
      if (!next) break;
      this.used += next.units;
      next.grant();
    }
  }
}
