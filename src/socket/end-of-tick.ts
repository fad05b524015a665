/**
 * Work batched to the end of the current tick: `schedule(item)` during a tick, and `flush(item)`
 * runs once for each scheduled item after it, from one tick callback for all of them.
 */
export class EndOfTick<T> {
  readonly #flush: (item: T) => void;
  /** Slots are cleared, never the array truncated, so its storage is reused. */
  readonly #items: (T | undefined)[] = [];
  #count = 0;
  readonly #run = (): void => {
    try {
      for (let i = 0; i < this.#count; i++) this.#flush(this.#items[i]!);
    } finally {
      // A loop: the builtin `fill` is a slow C++ call for a handful of slots.
      for (let i = 0; i < this.#count; i++) this.#items[i] = undefined;
      this.#count = 0;
    }
  };

  constructor(flush: (item: T) => void) {
    this.#flush = flush;
  }

  /** Flushes `item` at the end of this tick (schedule each item once per tick). */
  schedule(item: T): void {
    if (this.#count === 0) process.nextTick(this.#run);
    this.#items[this.#count++] = item;
  }
}
