/** Scenario 2: a non-blocking socket fails at once, and a selector serves several clients. */

import { createServer, DefaultSelector, EVENT_READ, type Socket, socket } from "../../index.js";
import { delay, describeError, type Scenario } from "./scenario.js";

/** Non-blocking mode: a call that is not ready fails at once; a selector serves clients. */
export const nonblocking: Scenario = {
  name: "nonblocking",
  title: "2. Non-blocking: fail at once, then a selector serves several clients",
  summary: "setBlocking(false): a call that is not ready raises BlockingIOError immediately.",
  async run(say) {
    await using server = await createServer(["127.0.0.1", 0]);
    server.setBlocking(false);
    const probe = socket();
    await probe.connect(server.getsockname() as [string, number]);
    const [conn] = await server.accept({ timeout: null });
    conn.setBlocking(false);
    const start = performance.now();
    try {
      await conn.recv(1024);
    } catch (error) {
      const ms = (performance.now() - start).toFixed(2);
      say.say("server", `recv(1024) with no data: ${describeError(error)} after ${ms} ms`);
    }
    probe.close();
    conn.close();

    using selector = new DefaultSelector<Socket, string>();
    selector.register(server, EVENT_READ, "listener");
    const clients = ["alpha", "beta", "gamma"];
    const replies = clients.map(async (name, i) => {
      await delay(50 * i);
      await using c = socket();
      await c.connect(server.getsockname() as [string, number]);
      await c.sendAll(`${name}\n`);
      const echoed = await c.recvUntil("\n");
      say.say(name, `got its echo back: ${JSON.stringify(echoed.toString().trim())}`);
    });
    let served = 0;
    while (served < clients.length) {
      for (const [key] of await selector.select(5)) {
        if (key.data === "listener") {
          const [client, address] = await server.accept();
          client.setBlocking(false);
          selector.register(client, EVENT_READ, `${(address as [string, number])[1]}`);
          say.say(
            "server",
            `select: listener readable → accepted port ${(address as [string, number])[1]}`,
          );
          continue;
        }
        const sock = key.fileobj;
        const data = await sock.recv(1024);
        if (data.length === 0) {
          selector.unregister(sock);
          sock.close();
          served++;
          continue;
        }
        say.say("server", `select: port ${key.data} readable → echo ${data.length} bytes`);
        await sock.sendAll(data);
      }
    }
    await Promise.all(replies);
    say.note("one loop served every client; nothing ever waited on a single socket.");
  },
};
