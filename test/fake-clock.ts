/** A hand-driven clock for the timer seam in src/internal/clock.ts. */

import type { Clock, TimerHandle } from "../src/core/clock.js";

interface FakeTimer extends TimerHandle {
  at: number;
  callback: () => void;
  cleared: boolean;
}

export class FakeClock implements Clock {
  time = 1_000;
  wall = 1_700_000_000_000;
  /** Every delay passed to setTimer, to check that none exceeds the runtime's limit. */
  readonly delays: number[] = [];
  /** The next timer armed fires this many ms early, as runtime timers sometimes do. */
  fireEarlyOnce = 0;
  #timers: FakeTimer[] = [];

  now(): number {
    return this.time;
  }

  wallNow(): number {
    return this.wall;
  }

  setTimer(callback: () => void, ms: number): TimerHandle {
    this.delays.push(ms);
    const timer: FakeTimer = { at: this.time + ms - this.fireEarlyOnce, callback, cleared: false };
    this.fireEarlyOnce = 0;
    this.#timers.push(timer);
    return timer;
  }

  clearTimer(handle: TimerHandle): void {
    (handle as FakeTimer).cleared = true;
  }

  /** Moves time forward, firing due timers in order. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = this.#timers
        .filter((t) => !t.cleared && t.at <= end)
        .sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      due.cleared = true;
      const next = Math.max(this.time, due.at);
      this.wall += next - this.time;
      this.time = next;
      due.callback();
    }
    this.wall += end - this.time;
    this.time = end;
  }

  /** Timers armed and not cleared. */
  get armed(): number {
    return this.#timers.filter((t) => !t.cleared).length;
  }
}
