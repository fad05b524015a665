/**
 * The scenarios of PyMOTW-3's "Non-blocking Communication and Timeouts", played live on
 * 127.0.0.1 with the public API only, narrated with elapsed times by `sockit demo`: one file
 * each, in this folder.
 */

import { binary } from "./binary.js";
import { blocking } from "./blocking.js";
import { datagrams } from "./datagrams.js";
import { deadlock } from "./deadlock.js";
import { nonblocking } from "./nonblocking.js";
import type { Scenario } from "./scenario.js";
import { truly } from "./sync.js";
import { timeouts } from "./timeouts.js";

export type { Scenario } from "./scenario.js";

/** Every scenario, in the order `sockit demo` plays them. */
export const SCENARIOS: readonly Scenario[] = [
  blocking,
  nonblocking,
  timeouts,
  deadlock,
  binary,
  truly,
  datagrams,
];
