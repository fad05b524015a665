/** Scenario 7: datagram sockets, with the same modes as streams. */

import { AF_INET, SOCK_DGRAM, socket } from "../../index.js";
import { describeError, type Scenario, showPeer } from "./scenario.js";

/** Datagram sockets, with the same modes as stream sockets. */
export const datagrams: Scenario = {
  name: "udp",
  title: "7. Datagrams: UDP with the same three modes",
  summary:
    "socket(AF_INET, SOCK_DGRAM): one recvFrom, one datagram; non-blocking and timeouts as for TCP.",
  async run(say) {
    const server = socket(AF_INET, SOCK_DGRAM);
    const client = socket(AF_INET, SOCK_DGRAM);
    try {
      await server.bind(["127.0.0.1", 0]);
      const address = server.getsockname() as [string, number];
      await client.sendTo("ping", address);
      say.say("client", `sendTo(b'ping', ('127.0.0.1', ${address[1]}))`);
      const [data, from] = await server.recvFrom(4096);
      say.say("server", `recvFrom(4096) → (b'${data.toString()}', ${showPeer(from)})`);
      await server.sendTo(data, from);
      const [echo] = await client.recvFrom(4096);
      say.say("client", `recvFrom(4096) → b'${echo.toString()}', the echo`);

      await client.sendTo("hello", address);
      await client.sendTo("world", address);
      say.say("client", "sendTo(b'hello'), sendTo(b'world')");
      const [head] = await server.recvFrom(3);
      const [next] = await server.recvFrom(4096);
      say.say(
        "server",
        `recvFrom(3) → b'${head.toString()}', then recvFrom(4096) → b'${next.toString()}'`,
      );
      say.note("one call, one datagram: the rest of a truncated datagram is discarded.");

      server.setBlocking(false);
      const start = performance.now();
      try {
        await server.recvFrom(4096);
      } catch (error) {
        const ms = (performance.now() - start).toFixed(2);
        say.say(
          "server",
          `non-blocking recvFrom with nothing queued: ${describeError(error)} after ${ms} ms`,
        );
      }
      server.setTimeout(0.3);
      say.say("server", "recvFrom(4096) with setTimeout(0.3) and a silent client …");
      try {
        await server.recvFrom(4096);
      } catch (error) {
        say.say("server", `${describeError(error)}`);
      }
      await client.sendTo("late", address);
      const [late] = await server.recvFrom(4096);
      say.say("server", `the next recvFrom → b'${late.toString()}': the socket still works`);
      say.note("the same three modes as TCP; a timeout or a miss never loses a datagram.");
    } finally {
      server.close();
      client.close();
    }
  },
};
