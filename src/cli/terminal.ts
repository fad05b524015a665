/**
 * Output for the `sockit` command: colour only on a terminal and never with NO_COLOR, and a
 * narrator that stamps each line with the time since the scenario started.
 */

import type { Writable } from "node:stream";

/** Whether `stream` should get ANSI colours. */
export function wantsColour(stream: Writable & { isTTY?: boolean }): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== "") return false;
  const force = process.env.FORCE_COLOR;
  if (force !== undefined && force !== "" && force !== "0") return true;
  return stream.isTTY === true;
}

/** ANSI styles that turn into plain text when colour is off. */
export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

/** Styles for `stream`. */
export function styleFor(stream: Writable & { isTTY?: boolean }): Style {
  const on = wantsColour(stream);
  const wrap =
    (open: number, close: number) =>
    (text: string): string =>
      on ? `\u001b[${open}m${text}\u001b[${close}m` : text;
  return {
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    green: wrap(32, 39),
    red: wrap(31, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
  };
}

/** Prints narration lines stamped with the elapsed time in seconds. */
export class Narrator {
  readonly style: Style;
  readonly #out: Writable;
  #start = performance.now();

  constructor(out: Writable & { isTTY?: boolean }) {
    this.#out = out;
    this.style = styleFor(out);
  }

  /** Restarts the elapsed-time clock. */
  restart(): void {
    this.#start = performance.now();
  }

  /** Seconds since the last restart. */
  elapsed(): number {
    return (performance.now() - this.#start) / 1000;
  }

  /** A heading for a scenario. */
  heading(title: string, summary: string): void {
    this.#out.write(`\n${this.style.bold(title)}\n${this.style.dim(summary)}\n`);
  }

  /** One line of narration, e.g. `say("server", "recv() returned 5 bytes")`. */
  say(who: string, text: string): void {
    const stamp = this.style.dim(`[+${this.elapsed().toFixed(3)}s]`);
    this.#out.write(`  ${stamp} ${this.style.cyan(who.padEnd(7))} ${text}\n`);
  }

  /** A closing remark for a scenario. */
  note(text: string): void {
    this.#out.write(`  ${this.style.yellow("→")} ${text}\n`);
  }
}

/** An address as people write it: `127.0.0.1:80`, `[::1]:80`, or a path. */
export function showAddress(address: string | readonly [string, number, ...number[]]): string {
  if (typeof address === "string")
    return address.startsWith("\0") ? `@${address.slice(1)}` : address;
  const [host, port] = address;
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
