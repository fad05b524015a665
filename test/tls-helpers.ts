/**
 * Helpers of the TLS tests: contexts over the test CA and connected TLS pairs on loopback.
 */

import {
  createDefaultContext,
  type SSLContext,
  type SSLContextOptions,
  type SSLSocket,
  type WrapSocketOptions,
} from "../src/index.js";
import { tcpPair } from "./helpers.js";
import { testCertificates } from "./tls-certs.js";

/** A client context that trusts the test CA. */
export function clientContext(options: SSLContextOptions = {}): SSLContext {
  return createDefaultContext({ ca: testCertificates().ca.pem, ...options });
}

/** A server context with the test server's certificate. */
export function serverContext(options: SSLContextOptions = {}): SSLContext {
  const { server } = testCertificates();
  return createDefaultContext({ cert: server.pem, key: server.key, ...options });
}

/** Options of {@link tlsPair}. */
export interface TlsPairOptions {
  client?: SSLContext;
  server?: SSLContext;
  clientWrap?: WrapSocketOptions;
  serverWrap?: WrapSocketOptions;
}

/** A TLS connection over TCP loopback, both ends sockit: `[client, server]`, closed by `using`. */
export async function tlsPair(options: TlsPairOptions = {}): Promise<{
  client: SSLSocket;
  server: SSLSocket;
  [Symbol.asyncDispose](): Promise<void>;
}> {
  const pair = await tcpPair();
  const client = (options.client ?? clientContext()).wrapSocket(pair.client, {
    serverHostname: "localhost",
    ...options.clientWrap,
  });
  const server = (options.server ?? serverContext()).wrapSocket(pair.server, {
    server: true,
    ...options.serverWrap,
  });
  const [c, s] = await Promise.allSettled([client, server]);
  if (c.status === "rejected" || s.status === "rejected") {
    if (c.status === "fulfilled") c.value.close();
    if (s.status === "fulfilled") s.value.close();
    pair.client.close();
    pair.server.close();
    throw c.status === "rejected" ? c.reason : (s as PromiseRejectedResult).reason;
  }
  return {
    client: c.value,
    server: s.value,
    async [Symbol.asyncDispose]() {
      c.value.close();
      s.value.close();
    },
  };
}
