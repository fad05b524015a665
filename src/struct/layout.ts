// Sizes and alignments of the format codes: the standard ones (`< > ! =`) and the native ones
// (`@` or no prefix), which follow the C compiler CPython was built with on this platform.

// Read from the global rather than `import ... from "node:process"`: building that module's
// namespace touches process.stdin/stdout, which loads node:net, and sockit/struct must not.
const { arch, platform } = globalThis.process ?? { arch: "x64", platform: "linux" };

/** Every format code CPython knows. */
export type FormatCode =
  | "x"
  | "c"
  | "b"
  | "B"
  | "?"
  | "h"
  | "H"
  | "i"
  | "I"
  | "l"
  | "L"
  | "q"
  | "Q"
  | "n"
  | "N"
  | "e"
  | "f"
  | "d"
  | "s"
  | "p"
  | "P";

/** A code's size and alignment in bytes (alignment 1 means none). */
export interface CodeLayout {
  readonly size: number;
  readonly align: number;
}

export type LayoutTable = Readonly<Partial<Record<FormatCode, CodeLayout>>>;

/** True when this machine stores numbers least significant byte first (x86, arm64...). */
export const hostLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const SIXTY_FOUR_BIT = new Set([
  "x64",
  "arm64",
  "ppc64",
  "s390x",
  "riscv64",
  "loong64",
  "mips64el",
]);

function same(size: number): CodeLayout {
  return { size, align: size };
}

function nativeTable(): LayoutTable {
  const is64 = SIXTY_FOUR_BIT.has(arch);
  const windows = platform === "win32";
  // C `long` is 8 bytes on 64-bit Unix (LP64) but 4 on Windows (LLP64) and on 32-bit systems.
  const long = is64 && !windows ? 8 : 4;
  const pointer = is64 ? 8 : 4;
  // The i386 System V ABI aligns 8-byte scalars inside structs on 4 bytes; others use 8.
  const eightAlign = arch === "ia32" && !windows ? 4 : 8;
  return {
    x: same(1),
    c: same(1),
    b: same(1),
    B: same(1),
    "?": same(1),
    s: same(1),
    p: same(1),
    h: same(2),
    H: same(2),
    e: same(2),
    i: same(4),
    I: same(4),
    f: same(4),
    l: same(long),
    L: same(long),
    q: { size: 8, align: eightAlign },
    Q: { size: 8, align: eightAlign },
    d: { size: 8, align: eightAlign },
    n: same(pointer),
    N: same(pointer),
    P: same(pointer),
  };
}

/** Native sizes and alignments (CPython's `native_table` on this platform). */
export const NATIVE: LayoutTable = nativeTable();

/** Standard sizes, no alignment (CPython's `lilendian_table` / `bigendian_table`). */
export const STANDARD: LayoutTable = {
  x: { size: 1, align: 1 },
  c: { size: 1, align: 1 },
  b: { size: 1, align: 1 },
  B: { size: 1, align: 1 },
  "?": { size: 1, align: 1 },
  s: { size: 1, align: 1 },
  p: { size: 1, align: 1 },
  h: { size: 2, align: 1 },
  H: { size: 2, align: 1 },
  e: { size: 2, align: 1 },
  i: { size: 4, align: 1 },
  I: { size: 4, align: 1 },
  l: { size: 4, align: 1 },
  L: { size: 4, align: 1 },
  f: { size: 4, align: 1 },
  q: { size: 8, align: 1 },
  Q: { size: 8, align: 1 },
  d: { size: 8, align: 1 },
};
