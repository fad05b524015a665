/**
 * A certificate as Python's `getpeercert()` returns it: its DER read here (a small ASN.1 reader,
 * enough for X.509), with Python's names and formats: subject and issuer as sequences of
 * relative distinguished names of `[longName, value]` pairs, the version, the serial number in
 * upper-case hex, the validity in OpenSSL's `"Jan  1 00:00:00 2030 GMT"` form, and the
 * subjectAltName, OCSP, caIssuers and crlDistributionPoints extensions when present. Python's
 * tuples are arrays.
 */

/** One attribute of a name: `["commonName", "example.com"]`. */
export type NameAttribute = [name: string, value: string];
/** A relative distinguished name: one or (rarely) more attributes. */
export type RelativeName = NameAttribute[];
/** One subjectAltName entry: `["DNS", "example.com"]`, `["IP Address", "127.0.0.1"]`, … */
export type AltName = [type: string, value: string | RelativeName[]];

/** Python's certificate dict (`getpeercert()`). */
export interface PeerCertificate {
  subject: RelativeName[];
  issuer: RelativeName[];
  version: number;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  subjectAltName?: AltName[];
  OCSP?: string[];
  caIssuers?: string[];
  crlDistributionPoints?: string[];
}

/** An ASN.1 element: its tag byte and where its contents are. */
interface Element {
  readonly tag: number;
  readonly start: number;
  readonly end: number;
}

class DerError extends Error {}

function element(der: Uint8Array, at: number, limit: number): Element {
  if (at + 2 > limit) throw new DerError("truncated");
  const tag = der[at]!;
  let length = der[at + 1]!;
  let start = at + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 4 || start + bytes > limit) throw new DerError("bad length");
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + der[start + i]!;
    start += bytes;
  }
  if (start + length > limit) throw new DerError("truncated");
  return { tag, start, end: start + length };
}

function children(der: Uint8Array, parent: Element): Element[] {
  const out: Element[] = [];
  for (let at = parent.start; at < parent.end; ) {
    const child = element(der, at, parent.end);
    out.push(child);
    at = child.end;
  }
  return out;
}

function oid(der: Uint8Array, e: Element): string {
  const parts: number[] = [];
  let value = 0;
  for (let i = e.start; i < e.end; i++) {
    value = value * 128 + (der[i]! & 0x7f);
    if ((der[i]! & 0x80) === 0) {
      if (parts.length === 0)
        parts.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else parts.push(value);
      value = 0;
    }
  }
  return parts.join(".");
}

/** OpenSSL's long names of the attributes names use (what Python shows); others as dotted OIDs. */
const ATTRIBUTE_NAMES: Readonly<Record<string, string>> = {
  "2.5.4.3": "commonName",
  "2.5.4.4": "surname",
  "2.5.4.5": "serialNumber",
  "2.5.4.6": "countryName",
  "2.5.4.7": "localityName",
  "2.5.4.8": "stateOrProvinceName",
  "2.5.4.9": "streetAddress",
  "2.5.4.10": "organizationName",
  "2.5.4.11": "organizationalUnitName",
  "2.5.4.12": "title",
  "2.5.4.13": "description",
  "2.5.4.15": "businessCategory",
  "2.5.4.17": "postalCode",
  "2.5.4.41": "name",
  "2.5.4.42": "givenName",
  "2.5.4.43": "initials",
  "2.5.4.44": "generationQualifier",
  "2.5.4.46": "dnQualifier",
  "2.5.4.65": "pseudonym",
  "2.5.4.97": "organizationIdentifier",
  "1.2.840.113549.1.9.1": "emailAddress",
  "0.9.2342.19200300.100.1.1": "userId",
  "0.9.2342.19200300.100.1.25": "domainComponent",
  "1.3.6.1.4.1.311.60.2.1.1": "jurisdictionLocalityName",
  "1.3.6.1.4.1.311.60.2.1.2": "jurisdictionStateOrProvinceName",
  "1.3.6.1.4.1.311.60.2.1.3": "jurisdictionCountryName",
};

/** An ASN.1 string of any kind, as text (OpenSSL's `ASN1_STRING_to_UTF8`). */
function string(der: Uint8Array, e: Element): string {
  const bytes = Buffer.from(der.buffer, der.byteOffset + e.start, e.end - e.start);
  switch (e.tag) {
    case 0x1e: // BMPString: UTF-16BE
      return Buffer.from(bytes).swap16().toString("utf16le");
    case 0x1c: {
      // UniversalString: UTF-32BE
      let out = "";
      for (let i = 0; i + 3 < bytes.length; i += 4)
        out += String.fromCodePoint(bytes.readUInt32BE(i));
      return out;
    }
    case 0x14: // T61String, which OpenSSL reads as Latin-1
      return bytes.toString("latin1");
    default:
      return bytes.toString("utf8");
  }
}

function name(der: Uint8Array, e: Element): RelativeName[] {
  return children(der, e).map((set) =>
    children(der, set).map((pair): NameAttribute => {
      const [type, value] = children(der, pair);
      if (type === undefined || value === undefined) throw new DerError("bad attribute");
      const id = oid(der, type);
      return [ATTRIBUTE_NAMES[id] ?? id, string(der, value)];
    }),
  );
}

/** An INTEGER's magnitude in upper-case hex, two digits per byte (OpenSSL's `i2a_ASN1_INTEGER`). */
function serial(der: Uint8Array, e: Element): string {
  let start = e.start;
  while (start < e.end - 1 && der[start] === 0) start++;
  return Buffer.from(der.subarray(start, e.end)).toString("hex").toUpperCase();
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** UTCTime or GeneralizedTime as OpenSSL's `ASN1_TIME_print` shows it. */
function time(der: Uint8Array, e: Element): string {
  let text = Buffer.from(der.subarray(e.start, e.end)).toString("latin1");
  if (e.tag === 0x17) text = (Number(text.slice(0, 2)) >= 50 ? "19" : "20") + text;
  const [year, month, day, hh, mm, ss] = [
    text.slice(0, 4),
    Number(text.slice(4, 6)),
    Number(text.slice(6, 8)),
    text.slice(8, 10),
    text.slice(10, 12),
    text.slice(12, 14) || "00",
  ];
  return `${MONTHS[month - 1] ?? "???"} ${String(day).padStart(2, " ")} ${hh}:${mm}:${ss} ${year} GMT`;
}

/** An iPAddress general name as Python shows it (IPv6 in upper-case hex, uncompressed). */
function ipAddress(der: Uint8Array, e: Element): string {
  const bytes = der.subarray(e.start, e.end);
  if (bytes.length === 4) return Array.from(bytes).join(".");
  if (bytes.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2)
      groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16).toUpperCase());
    return groups.join(":");
  }
  return "<invalid>";
}

function generalName(der: Uint8Array, e: Element): AltName {
  switch (e.tag) {
    case 0x81:
      return ["email", string(der, e)];
    case 0x82:
      return ["DNS", string(der, e)];
    case 0x86:
      return ["URI", string(der, e)];
    case 0x87:
      return ["IP Address", ipAddress(der, e)];
    case 0xa4: {
      const inner = children(der, e)[0];
      return ["DirName", inner === undefined ? [] : name(der, inner)];
    }
    case 0x88:
      return ["Registered ID", oid(der, e)];
    case 0xa3:
      return ["X400Name", "<unsupported>"];
    case 0xa5:
      return ["EdiPartyName", "<unsupported>"];
    default:
      return ["othername", "<unsupported>"];
  }
}

const SUBJECT_ALT_NAME = "2.5.29.17";
const AUTHORITY_INFO_ACCESS = "1.3.6.1.5.5.7.1.1";
const CRL_DISTRIBUTION_POINTS = "2.5.29.31";
const OCSP = "1.3.6.1.5.5.7.48.1";
const CA_ISSUERS = "1.3.6.1.5.5.7.48.2";

/** Python's dict for the certificate `der`; throws if it is not a certificate. */
export function decodeCertificate(der: Uint8Array): PeerCertificate {
  const certificate = element(der, 0, der.length);
  const tbs = children(der, certificate)[0];
  if (tbs === undefined) throw new DerError("no tbsCertificate");
  const fields = children(der, tbs);
  let i = 0;
  let version = 1;
  if (fields[0]?.tag === 0xa0) {
    const v = children(der, fields[0])[0];
    version = v === undefined ? 1 : der[v.end - 1]! + 1;
    i = 1;
  }
  const [serialNumber, , issuer, validity, subject] = fields.slice(i, i + 5);
  if (subject === undefined || validity === undefined || issuer === undefined) {
    throw new DerError("truncated tbsCertificate");
  }
  const [notBefore, notAfter] = children(der, validity);
  const out: PeerCertificate = {
    subject: name(der, subject),
    issuer: name(der, issuer),
    version,
    serialNumber: serial(der, serialNumber!),
    notBefore: notBefore === undefined ? "" : time(der, notBefore),
    notAfter: notAfter === undefined ? "" : time(der, notAfter),
  };
  const extensions = fields.find((f) => f.tag === 0xa3);
  const list = extensions === undefined ? [] : children(der, children(der, extensions)[0]!);
  const ocsp: string[] = [];
  const caIssuers: string[] = [];
  const crl: string[] = [];
  for (const extension of list) {
    const parts = children(der, extension);
    const id = oid(der, parts[0]!);
    const value = parts.at(-1)!;
    const inner = element(der, value.start, value.end);
    if (id === SUBJECT_ALT_NAME) {
      out.subjectAltName = children(der, inner).map((g) => generalName(der, g));
    } else if (id === AUTHORITY_INFO_ACCESS) {
      for (const access of children(der, inner)) {
        const [method, location] = children(der, access);
        if (method === undefined || location?.tag !== 0x86) continue;
        const m = oid(der, method);
        if (m === OCSP) ocsp.push(string(der, location));
        else if (m === CA_ISSUERS) caIssuers.push(string(der, location));
      }
    } else if (id === CRL_DISTRIBUTION_POINTS) {
      for (const point of children(der, inner)) {
        const where = children(der, point).find((c) => c.tag === 0xa0);
        const full =
          where === undefined ? undefined : children(der, where).find((c) => c.tag === 0xa0);
        if (full === undefined) continue;
        for (const g of children(der, full)) if (g.tag === 0x86) crl.push(string(der, g));
      }
    }
  }
  if (ocsp.length > 0) out.OCSP = ocsp;
  if (caIssuers.length > 0) out.caIssuers = caIssuers;
  if (crl.length > 0) out.crlDistributionPoints = crl;
  return out;
}
