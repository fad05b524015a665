/**
 * The certificate dict of `getpeercert()`: the DER reader of src/tls/certificate.ts against
 * CPython's own decoder (`ssl._ssl._test_decode_cert`), on the test certificates and on ones
 * made to be awkward: multi-valued names, BMP and T61 strings, every kind of subjectAltName, a
 * GeneralizedTime expiry, a serial number with a sign byte.
 */

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { decodeCertificate } from "../src/tls/certificate.js";
import { checkLeaks, pythonFixture } from "./helpers.js";
import { HAVE_OPENSSL, testCertificates } from "./tls-certs.js";

checkLeaks();

const T = { timeout: 20_000, skip: HAVE_OPENSSL ? false : "needs the openssl command" };

const AWKWARD = `[req]
distinguished_name = dn
string_mask = default
[dn]
[ext]
subjectAltName = @alt
[alt]
DNS.1 = a.example
email.1 = me@example.com
URI.1 = https://x.example/p
IP.1 = 10.0.0.1
IP.2 = 2001:db8::1
dirName.1 = dir_sect
RID.1 = 1.2.3.4
otherName.1 = 1.2.3.4;UTF8:hello
[dir_sect]
C = FR
O = Dir Org
CN = Directory Name
`;

/** CPython's dicts of several certificate files, in one python3 run. */
async function pythonDecode(files: string[]): Promise<unknown[]> {
  const peer = pythonFixture("tls_decode.py", ["--many", ...files]);
  const { code, stdout, stderr } = await peer.done();
  assert.equal(code, 0, stderr);
  return JSON.parse(stdout) as unknown[];
}

function der(file: string): Buffer {
  const pem = readFileSync(file, "utf8");
  return Buffer.from(pem.replace(/-----[A-Z ]+-----|\s+/g, ""), "base64");
}

describe("getpeercert()'s dict", () => {
  const files: string[] = [];
  before(() => {
    if (!HAVE_OPENSSL) return;
    const certs = testCertificates();
    const config = join(certs.dir, "awkward.cnf");
    writeFileSync(config, AWKWARD);
    const make = (name: string, subject: string, ...extra: string[]): string => {
      const out = join(certs.dir, `${name}.pem`);
      execFileSync(
        "openssl",
        [
          "req",
          "-x509",
          "-new",
          "-key",
          certs.ca.keyFile,
          "-out",
          out,
          "-config",
          config,
          "-utf8",
          "-subj",
          subject,
          ...extra,
        ],
        { stdio: ["ignore", "ignore", "pipe"] },
      );
      return out;
    };
    files.push(
      certs.server.certFile,
      certs.client.certFile,
      certs.expired.certFile,
      certs.ca.certFile,
      make(
        "awkward",
        "/DC=com/DC=example/CN=café+OU=Unit/emailAddress=a@b.c/serialNumber=123/UID=u1",
        "-multivalue-rdn",
        "-extensions",
        "ext",
        "-days",
        "20000",
        "-set_serial",
        "0x00ff12",
      ),
      make("strings", "/CN=日本語/O=Örg/L=T61", "-days", "30"),
    );
  });

  test("is CPython's, field for field, for every certificate", T, async () => {
    const expected = await pythonDecode(files);
    for (const [i, file] of files.entries()) {
      assert.deepEqual(decodeCertificate(der(file)), expected[i], file);
    }
  });

  test("refuses bytes that are not a certificate", T, () => {
    for (const bad of [Buffer.alloc(0), Buffer.from([0x30, 0x82, 0xff]), Buffer.from("junk")]) {
      assert.throws(() => decodeCertificate(bad));
    }
  });
});
