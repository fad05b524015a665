/** Scenario 5: binary data packed with Struct and unpacked by the peer. */

import { Struct } from "../../index.js";
import { loopbackPair, type Scenario } from "./scenario.js";

/** Binary data: `Struct` packs a record that the peer unpacks. */
export const binary: Scenario = {
  name: "binary",
  title: "5. Binary data: a struct-packed record over the wire",
  summary: "Struct('I 2s f') packs (1, b'ab', 2.7) as the client; the server unpacks it.",
  async run(say) {
    await using pair = await loopbackPair();
    const record = new Struct("I 2s f");
    const packed = record.pack(1, Buffer.from("ab"), 2.7);
    say.say(
      "client",
      `pack(1, b'ab', 2.7) → ${packed.toString("hex").replace(/(..)/g, "$1 ").trim()}`,
    );
    await pair.a.sendAll(packed);
    const data = await pair.b.recvExactly(record.size);
    const [n, text, value] = record.unpack(data) as [number, Buffer, number];
    say.say(
      "server",
      `recvExactly(${record.size}) → unpack → (${n}, b'${text.toString()}', ${value})`,
    );
    say.note("2.7 comes back as 2.700000047683716: a C float, exactly as in Python.");
  },
};
