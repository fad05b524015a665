/** `sockit demo [name]`: plays PyMOTW-3's socket scenarios live on loopback. */

import { SCENARIOS } from "./scenarios/index.js";
import { Narrator } from "./terminal.js";
import { UsageError } from "./usage.js";

/** Help text of `sockit demo`. */
export const DEMO_USAGE = `usage: sockit demo [--list] [NAME]

Plays the scenarios of PyMOTW-3's "Non-blocking Communication and Timeouts" live on
127.0.0.1 (a blocking echo, non-blocking with a selector, timeouts, the deadlock of two peers
that only send, binary data with struct, and UDP datagrams in the same modes) and narrates
them with elapsed times.
With NAME, plays only that one; --list names them.`;

/** Runs `sockit demo`. */
export async function demo(args: { list: boolean; name: string | undefined }): Promise<number> {
  if (args.list) {
    for (const s of SCENARIOS) console.log(`${s.name.padEnd(12)} ${s.summary}`);
    return 0;
  }
  const chosen =
    args.name === undefined ? SCENARIOS : SCENARIOS.filter((s) => s.name === args.name);
  if (chosen.length === 0) {
    throw new UsageError(`unknown scenario ${JSON.stringify(args.name)}; try: sockit demo --list`);
  }
  const narrator = new Narrator(process.stdout);
  const started = performance.now();
  for (const scenario of chosen) {
    narrator.heading(scenario.title, scenario.summary);
    narrator.restart();
    await scenario.run(narrator);
  }
  const total = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`\n${narrator.style.green("✓")} ${chosen.length} scenario(s) in ${total} s`);
  return 0;
}
