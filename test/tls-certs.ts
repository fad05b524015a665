/**
 * A private CA and the certificates the TLS tests need, made with the `openssl` command in a
 * temporary directory once per test process (about 0.2 s), and removed at exit:
 *
 * - `ca`: the test CA; `server`: localhost, 127.0.0.1 and ::1, signed by it, with OCSP,
 *   caIssuers and CRL distribution point extensions (Python shows them);
 * - `expired`: localhost, valid for one day in 2020; `client`: a client certificate;
 * - `otherCa` and `stranger`: a second CA and a localhost certificate it signed (untrusted);
 * - `otherKey`: a key that matches no certificate.
 *
 * Each entry has `pem`/`key` (PEM text) and `certFile`/`keyFile` (paths, for CPython peers).
 */

import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** One certificate with its key. */
export interface Issued {
  readonly pem: string;
  readonly key: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/** Everything {@link testCertificates} makes. */
export interface TestCertificates {
  readonly dir: string;
  readonly ca: Issued;
  readonly server: Issued;
  readonly expired: Issued;
  readonly client: Issued;
  readonly otherCa: Issued;
  readonly stranger: Issued;
  readonly otherKey: string;
}

/** Whether the `openssl` command is there (TLS tests skip without it). */
export const HAVE_OPENSSL = spawnSync("openssl", ["version"]).status === 0;

let made: TestCertificates | undefined;

const CA_CONFIG = `[ca]
default_ca = d
[d]
database = index.txt
serial = serial
new_certs_dir = .
default_md = sha256
policy = p
copy_extensions = copy
unique_subject = no
[p]
commonName = supplied
`;

/** Makes the certificates (once per process). */
export function testCertificates(): TestCertificates {
  if (made !== undefined) return made;
  const dir = mkdtempSync(join(tmpdir(), "sockit-tls-"));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  const run = (...args: string[]): void => {
    execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  };
  const key = (name: string): void =>
    run(
      "genpkey",
      "-algorithm",
      "EC",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-out",
      `${name}.key`,
    );
  const selfSigned = (name: string, subject: string): void => {
    key(name);
    run(
      "req",
      "-x509",
      "-new",
      "-key",
      `${name}.key`,
      "-out",
      `${name}.pem`,
      "-days",
      "3650",
      "-subj",
      subject,
    );
  };
  const issue = (name: string, ca: string, subject: string, extensions: string): void => {
    key(name);
    run("req", "-new", "-key", `${name}.key`, "-out", `${name}.csr`, "-subj", subject);
    writeFileSync(join(dir, `${name}.ext`), extensions);
    run(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      `${ca}.pem`,
      "-CAkey",
      `${ca}.key`,
      "-CAcreateserial",
      "-out",
      `${name}.pem`,
      "-days",
      "825",
      "-extfile",
      `${name}.ext`,
    );
  };
  selfSigned("ca", "/C=US/O=sockit tests/CN=sockit test CA");
  selfSigned("other-ca", "/O=sockit tests/CN=another CA");
  const localhost = "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n";
  issue(
    "server",
    "ca",
    "/C=US/O=sockit tests/CN=localhost",
    `${localhost}authorityInfoAccess=OCSP;URI:http://ocsp.example/,caIssuers;URI:http://ca.example/ca.der\ncrlDistributionPoints=URI:http://ca.example/ca.crl\n`,
  );
  issue("client", "ca", "/O=sockit tests/CN=sockit client", "extendedKeyUsage=clientAuth\n");
  issue("stranger", "other-ca", "/CN=localhost", localhost);
  // An expired certificate needs `openssl ca`, the only way to give a start date in the past.
  writeFileSync(join(dir, "ca.cnf"), CA_CONFIG);
  writeFileSync(join(dir, "index.txt"), "");
  writeFileSync(join(dir, "serial"), "1000\n");
  key("expired");
  run(
    "req",
    "-new",
    "-key",
    "expired.key",
    "-out",
    "expired.csr",
    "-subj",
    "/CN=localhost",
    "-addext",
    localhost.trim(),
  );
  run(
    "ca",
    "-batch",
    "-config",
    "ca.cnf",
    "-cert",
    "ca.pem",
    "-keyfile",
    "ca.key",
    "-in",
    "expired.csr",
    "-out",
    "expired.pem",
    "-startdate",
    "20200101000000Z",
    "-enddate",
    "20200102000000Z",
    "-notext",
  );
  key("other");
  const issued = (name: string): Issued => ({
    pem: readFileSync(join(dir, `${name}.pem`), "utf8"),
    key: readFileSync(join(dir, `${name}.key`), "utf8"),
    certFile: join(dir, `${name}.pem`),
    keyFile: join(dir, `${name}.key`),
  });
  made = {
    dir,
    ca: issued("ca"),
    server: issued("server"),
    expired: issued("expired"),
    client: issued("client"),
    otherCa: issued("other-ca"),
    stranger: issued("stranger"),
    otherKey: readFileSync(join(dir, "other.key"), "utf8"),
  };
  return made;
}
