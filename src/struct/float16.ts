// IEEE 754 binary16 ("half precision", the `e` code), as CPython's PyFloat_Pack2/PyFloat_Unpack2:
// round half to even, NaN packs as the quiet NaN of its sign, too large fails.

const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const SIGN_BYTE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 7 : 0;

/** The sign bit of a number, NaN included (JavaScript can only see a NaN's sign this way). */
export function signBit(x: number): number {
  f64[0] = x;
  return (f64Bytes[SIGN_BYTE] as number) >> 7;
}

function roundHalfEven(m: number): number {
  const floor = Math.floor(m);
  const rest = m - floor;
  return rest > 0.5 || (rest === 0.5 && floor % 2 === 1) ? floor + 1 : floor;
}

/**
 * The 16-bit pattern of `x` as a half-precision float, or -1 when `x` is finite but too large
 * (|x| rounds to 65520 or more), where CPython raises OverflowError.
 */
export function toFloat16Bits(x: number): number {
  const sign = signBit(x) << 15;
  if (Number.isNaN(x)) return sign | 0x7e00;
  const a = Math.abs(x);
  if (a === Number.POSITIVE_INFINITY) return sign | 0x7c00;
  if (a >= 65520) return -1;
  if (a < 2 ** -14) {
    // Subnormal (or zero): units of 2^-24; a carry into 1024 is exactly the smallest normal.
    return sign | roundHalfEven(a * 2 ** 24);
  }
  let exponent = Math.floor(Math.log2(a));
  // log2 may be off by one next to powers of two; fix so that 2^e <= a < 2^(e+1).
  if (2 ** exponent > a) exponent -= 1;
  else if (2 ** (exponent + 1) <= a) exponent += 1;
  let mantissa = roundHalfEven((a / 2 ** exponent - 1) * 1024);
  if (mantissa === 1024) {
    mantissa = 0;
    exponent += 1;
  }
  // a < 65520 keeps the biased exponent at most 30 even after rounding up.
  return sign | ((exponent + 15) << 10) | mantissa;
}

/** The number a 16-bit half-precision pattern stands for. */
export function fromFloat16Bits(bits: number): number {
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  let value: number;
  if (exponent === 0x1f) value = fraction === 0 ? Number.POSITIVE_INFINITY : Number.NaN;
  else if (exponent === 0) value = fraction * 2 ** -24;
  else value = (1 + fraction / 1024) * 2 ** (exponent - 15);
  return bits & 0x8000 ? -value : value;
}
