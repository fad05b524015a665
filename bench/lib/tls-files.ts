/**
 * The certificates of the TLS benchmarks: a CA and a server certificate for localhost and
 * 127.0.0.1 (ECDSA P-256, as most servers now use), made with the `openssl` command in a
 * temporary directory that is removed when the benchmark script exits.
 */

import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TlsFiles } from "./protocol.js";

/** The cipher every TLS benchmark must agree on (TLS 1.3's first choice in Node.js and CPython). */
export const BENCH_CIPHER = "TLS_AES_256_GCM_SHA384";

/** Makes the CA and the server's certificate and key; returns their paths. */
export function makeTlsFiles(): TlsFiles {
  const dir = mkdtempSync(join(tmpdir(), "sockit-bench-tls-"));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  const openssl = (...args: string[]): void => {
    execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  };
  const key = (name: string): void =>
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", name);
  key("ca.key");
  openssl(
    "req",
    "-x509",
    "-new",
    "-key",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "30",
    "-subj",
    "/CN=sockit bench CA",
  );
  key("server.key");
  openssl("req", "-new", "-key", "server.key", "-out", "server.csr", "-subj", "/CN=localhost");
  writeFileSync(join(dir, "server.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  openssl(
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.pem",
    "-days",
    "30",
    "-extfile",
    "server.ext",
  );
  return {
    caFile: join(dir, "ca.pem"),
    certFile: join(dir, "server.pem"),
    keyFile: join(dir, "server.key"),
  };
}
