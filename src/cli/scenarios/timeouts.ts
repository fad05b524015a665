/** Scenario 3: a socket with a timeout fails after it, and still works. */

import { TimeoutError } from "../../index.js";
import { describeError, loopbackPair, type Scenario } from "./scenario.js";

/** Timeout mode: a call waits up to its timeout, then raises `TimeoutError`. */
export const timeouts: Scenario = {
  name: "timeouts",
  title: "3. Timeouts: fail after s seconds, and the socket still works",
  summary: "setTimeout(0.5): a call waits up to 0.5 s, then raises TimeoutError.",
  async run(say) {
    await using pair = await loopbackPair();
    pair.b.setTimeout(0.5);
    say.say("server", "recv(1024) with setTimeout(0.5) and a silent peer …");
    try {
      await pair.b.recv(1024);
    } catch (error) {
      say.say(
        "server",
        `${describeError(error)}: ${error instanceof TimeoutError ? "timed out" : "?"}`,
      );
    }
    await pair.a.sendAll("late but welcome");
    say.say("client", "sendAll(b'late but welcome')");
    const data = await pair.b.recv(1024);
    say.say("server", `recv returned ${JSON.stringify(data.toString())}: nothing was lost`);
  },
};
