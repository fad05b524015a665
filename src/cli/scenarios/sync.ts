/** Scenario 6: sockit/sync's recv truly stops the program until data comes. */

import { Worker } from "node:worker_threads";
import * as sync from "../../sync/index.js";
import { delay, describeError, type Scenario } from "./scenario.js";

/**
 * A peer on another thread (a worker with its own event loop): it connects to `port` and sends
 * `text` after `ms`. A peer on this thread could not run while sockit/sync blocks it.
 */
function peerThread(port: number, ms: number, text: string): Worker {
  const worker = new Worker(
    `const { workerData } = require("node:worker_threads");
import(workerData.module).then(async ({ createConnection }) => {
  const sock = await createConnection(["127.0.0.1", workerData.port]);
  await new Promise((resolve) => setTimeout(resolve, workerData.ms));
  await sock.sendAll(workerData.text);
  await sock.recv(1);
  sock.close();
});`,
    {
      eval: true,
      execArgv: [],
      workerData: { module: new URL("../../index.js", import.meta.url).href, port, ms, text },
    },
  );
  worker.unref();
  return worker;
}

/** `sockit/sync`: a synchronous `recv` stops the whole thread, timers included. */
export const truly: Scenario = {
  name: "sync",
  title: "6. Truly blocking: sockit/sync stops the program until the socket is ready",
  summary: "A synchronous recv() blocks the whole thread: even a due timer waits for it.",
  async run(say) {
    const server = sync.createServer(["127.0.0.1", 0]);
    const port = (server.getsockname() as [string, number])[1];
    const peer = peerThread(port, 400, "hello from another thread");
    const [conn] = server.accept();
    try {
      setTimeout(() => say.say("timer", "fired (it was due at +0.1 s)"), 100);
      say.say("main", "recv(1024) from sockit/sync, no await (a timer is due in 0.1 s)");
      const data = conn.recv(1024);
      say.say("main", `recv returned ${JSON.stringify(data.toString())}`);
      say.note("the timer could not fire while recv blocked: this thread stopped, as in Python.");
      await delay(20);
      conn.setTimeout(0.3);
      setTimeout(() => say.say("timer", "fired (it was due at +0.05 s)"), 50);
      say.say("main", "the same with setTimeout(0.3) and nothing to read");
      try {
        conn.recv(1024);
      } catch (error) {
        say.say("main", `${describeError(error)} after 0.3 s`);
      }
      say.note("a timeout ends the wait with an error; a blocked thread's timers run only then.");
      await delay(20);
    } finally {
      conn.close();
      server.close();
      await peer.terminate();
    }
  },
};
