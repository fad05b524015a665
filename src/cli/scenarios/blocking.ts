/** Scenario 1: a blocking socket waits for data. */

import { loopbackPair, type Scenario } from "./scenario.js";

/** Blocking mode: `recv` waits until data comes. */
export const blocking: Scenario = {
  name: "blocking",
  title: "1. Blocking: recv() waits until the peer sends",
  summary: "By default a socket blocks: recv waits for data, send waits for buffer space.",
  async run(say) {
    await using pair = await loopbackPair();
    say.say("server", "recv(1024) on a blocking socket … (the client sends in 0.4 s)");
    setTimeout(() => {
      say.say("client", "sendAll(b'hello, blocking world')");
      pair.a.sendAll("hello, blocking world").catch(() => {});
    }, 400);
    const data = await pair.b.recv(1024);
    say.say("server", `recv returned ${JSON.stringify(data.toString())} after waiting`);
    say.note("the await suspended this coroutine only; the process kept running the client.");
  },
};
