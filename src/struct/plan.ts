// Turns a parsed format into a plan for the code generator: for every field, what kind of value it
// holds, its byte order and its packing rule. Everything the generated source embeds comes from
// here and is a number, a bigint or one of a fixed set of code letters, never user text.
import type { Field, ParsedFormat } from "./format.js";
import { type FormatCode, hostLittleEndian } from "./layout.js";
import {
  type FloatRule,
  floatRule,
  type IntegerRule,
  integerRule,
  isBigIntCode,
  isSignedCode,
} from "./rules.js";

export type FieldPlan =
  | { readonly kind: "int"; readonly signed: boolean; readonly rule: IntegerRule }
  | { readonly kind: "bigint"; readonly signed: boolean; readonly rule: IntegerRule }
  | { readonly kind: "float"; readonly rule: FloatRule }
  | { readonly kind: "bool" | "char" | "string" | "pascal" | "pad" };

export interface PlannedField extends Field {
  readonly plan: FieldPlan;
  /** Byte order of multi-byte items. */
  readonly little: boolean;
  /** Index in the values array of the field's first value (-1 for pads). */
  readonly argIndex: number;
}

export interface Plan {
  readonly size: number;
  readonly itemCount: number;
  readonly fields: readonly PlannedField[];
  /** Byte ranges [start, end) that no field writes: alignment gaps and `x` pads. */
  readonly holes: readonly (readonly [number, number])[];
  /**
   * Whether the format has a `0p`. CPython zeroes the whole struct, then writes only the bytes
   * each value supplies; `0p` writes a stray 255 at its offset, which a following pad or short
   * `s` leaves in place. Without `0p` no two fields share a byte, so zeroing holes and string
   * tails as they come gives the same bytes for less work; with it, zero everything first.
   */
  readonly zeroFirst: boolean;
}

function planOf(parsed: ParsedFormat, code: FormatCode): FieldPlan {
  switch (code) {
    case "x":
      return { kind: "pad" };
    case "?":
      return { kind: "bool" };
    case "c":
      return { kind: "char" };
    case "s":
      return { kind: "string" };
    case "p":
      return { kind: "pascal" };
    case "e":
    case "f":
    case "d":
      return { kind: "float", rule: floatRule(parsed.order, code) };
    default: {
      const rule = integerRule(parsed.order, code);
      const signed = isSignedCode(code);
      return isBigIntCode(parsed.order, code)
        ? { kind: "bigint", signed, rule }
        : { kind: "int", signed, rule };
    }
  }
}

/** Bytes a field occupies once packed. */
export function fieldBytes(field: Field): number {
  return field.code === "s" || field.code === "p" || field.code === "x"
    ? field.count
    : field.count * field.size;
}

export function makePlan(parsed: ParsedFormat): Plan {
  const little = parsed.order === "native" ? hostLittleEndian : parsed.order === "little";
  const fields: PlannedField[] = [];
  const holes: [number, number][] = [];
  let argIndex = 0;
  let covered = 0;
  for (const field of parsed.fields) {
    const plan = planOf(parsed, field.code);
    fields.push({ ...field, plan, little, argIndex: plan.kind === "pad" ? -1 : argIndex });
    if (plan.kind === "pad") continue;
    argIndex += field.code === "s" || field.code === "p" ? 1 : field.count;
    if (field.offset > covered) holes.push([covered, field.offset]);
    covered = Math.max(covered, field.offset + fieldBytes(field));
  }
  if (parsed.size > covered) holes.push([covered, parsed.size]);
  const zeroFirst = parsed.fields.some((f) => f.code === "p" && f.count === 0);
  return { size: parsed.size, itemCount: parsed.itemCount, fields, holes, zeroFirst };
}
