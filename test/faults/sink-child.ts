/**
 * A peer made with plain `node:net` (not sockit): connects to 127.0.0.1:PORT (or HOST:PORT),
 * prints {"connected":true}, reads everything until end of stream, checks it against the fault
 * tests' pattern and prints {"bytes":N,"sha256":"…","patternOk":true|false}.
 * Usage: node sink-child.js PORT [HOST]
 */

import { createHash } from "node:crypto";
import { connect } from "node:net";
import { byteAt } from "./peers.js";

const sock = connect({ port: Number(process.argv[2]), host: process.argv[3] ?? "127.0.0.1" });
const hash = createHash("sha256");
let bytes = 0;
let patternOk = true;
sock.on("connect", () => process.stdout.write(`${JSON.stringify({ connected: true })}\n`));
sock.on("data", (chunk: Buffer) => {
  hash.update(chunk);
  if (patternOk) {
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] !== byteAt(bytes + i)) {
        patternOk = false;
        break;
      }
    }
  }
  bytes += chunk.length;
});
sock.on("end", () => {
  process.stdout.write(`${JSON.stringify({ bytes, sha256: hash.digest("hex"), patternOk })}\n`);
  sock.end();
});
