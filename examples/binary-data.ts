/**
 * PyMOTW-3 "Sending Binary Data": the client packs (1, b'ab', 2.7) with Struct('I 2s f') and
 * sends it; the server receives exactly one record and unpacks it.
 *
 *   node build/examples/binary-data.js            # both sides on 127.0.0.1, a free port
 *   node build/examples/binary-data.js server 10000
 *   node build/examples/binary-data.js client 10000
 */

import { createConnection, createServer, type Socket, Struct } from "../src/index.js";

const record = new Struct("I 2s f");

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

/** Accepts one connection and unpacks one record from it. */
export async function serveOnce(server: Socket): Promise<[number, Buffer, number]> {
  const [conn] = await server.accept();
  await using _conn = conn;
  const data = await conn.recvExactly(record.size);
  console.log(`received ${hex(data)}`);
  const values = record.unpack(data) as [number, Buffer, number];
  console.log(`unpacked: (${values[0]}, b'${values[1].toString()}', ${values[2]})`);
  return values;
}

/** Connects, packs the record and sends it. */
export async function sendOnce(port: number): Promise<void> {
  await using sock = await createConnection(["127.0.0.1", port], { timeout: 5 });
  const values = [1, Buffer.from("ab"), 2.7] as const;
  const packed = record.pack(...values);
  console.log(`sending ${hex(packed)} (1, b'ab', 2.7)`);
  await sock.sendAll(packed);
}

async function main(argv: string[]): Promise<void> {
  const [role, portText = "0"] = argv;
  const port = Number(portText);
  if (role === "client") return sendOnce(port);
  await using server = await createServer(["127.0.0.1", port]);
  const bound = (server.getsockname() as [string, number])[1];
  console.log(`listening on 127.0.0.1:${bound}`);
  if (role === "server") {
    await serveOnce(server);
    return;
  }
  await Promise.all([serveOnce(server), sendOnce(bound)]);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
