// Generates the source that returns the values of a struct stored in the bytes `u` from index
// `base` (the caller has checked the bounds). Small formats become one array literal; long
// repeat counts become loops.
//
// Floats and 64-bit integers are read by copying their bytes into the scratch and reading them
// back through a Float64Array (or the like). In the array literal, each such item has a slot of
// its own in the scratch and all the copies come first, as statements, before the literal. V8
// runs that much faster than the same copies inside the literal, after the array's allocation
// (`!IHHQd`: 42 -> 59 million unpacks/s in bench/struct.ts, Node 20 and 24 alike). Nothing the
// literal calls uses the scratch.
import {
  type At,
  forEachItem,
  int,
  memoryIndex,
  offsetExpr,
  SCRATCH_SLOTS,
  scratchIndex,
  UNROLL,
} from "./emit-common.js";
import type { Plan, PlannedField } from "./plan.js";

/** Items unpacked through one array literal at most; beyond this the result is filled in. */
const LITERAL_ITEMS = SCRATCH_SLOTS;

/**
 * Where the byte moves of scratch-read items go: `undefined` to emit them inline (slot 0, as one
 * comma expression with the read), or an array of statements that come first (a slot per item).
 */
type Prelude = string[] | undefined;

/** The item's bytes combined into an int32 (or uint32 when `unsigned`) expression. */
function readInteger(field: PlannedField, at: At, size: number, signed: boolean): string {
  const parts: string[] = [];
  for (let s = 0; s < size; s++) {
    const byte = `u[${at(memoryIndex(field, size, s))}]`;
    parts.push(s === 0 ? byte : `${byte} << ${s * 8}`);
  }
  const joined = parts.join(" | ");
  if (size === 4) return signed ? `(${joined})` : `((${joined}) >>> 0)`;
  if (!signed) return size === 1 ? joined : `(${joined})`;
  const shift = 32 - size * 8;
  return `((${joined}) << ${shift} >> ${shift})`;
}

/**
 * The item's bytes copied into the scratch, then read back through `view`: in slot 0 inline, or
 * into the next free 8-byte slot with the moves added to `prelude`.
 */
function readScratch(
  field: PlannedField,
  at: At,
  width: number,
  view: string,
  prelude: Prelude,
): string {
  const slot = prelude === undefined ? 0 : prelude.length;
  if (slot >= SCRATCH_SLOTS) throw new Error("out of scratch slots");
  const moves: string[] = [];
  for (let s = 0; s < field.size; s++) {
    const to = slot * 8 + scratchIndex(width, s);
    moves.push(`g[${int(to)}] = u[${at(memoryIndex(field, field.size, s))}]`);
  }
  const read = `${view}[${int((slot * 8) / width)}]`;
  if (prelude === undefined) return `(${moves.join(", ")}, ${read})`;
  prelude.push(`${moves.join("; ")};\n`);
  return read;
}

function unpackItem(field: PlannedField, at: At, prelude?: Prelude): string {
  const { plan } = field;
  switch (plan.kind) {
    case "int":
      return readInteger(field, at, field.size, plan.signed);
    case "bigint":
      if (field.size === 4) return `BigInt(${readInteger(field, at, 4, plan.signed)})`;
      return readScratch(field, at, 8, plan.signed ? "I64" : "U64", prelude);
    case "float":
      if (field.size === 2) return `HN(${readInteger(field, at, 2, false)})`;
      return field.size === 4
        ? readScratch(field, at, 4, "F32", prelude)
        : readScratch(field, at, 8, "F64", prelude);
    case "bool":
      return `u[${at(0)}] !== 0`;
    case "char":
      return `Y(u, ${at(0)}, ${at(1)})`;
    case "string":
      return `Y(u, ${at(0)}, ${at(field.count)})`;
    case "pascal":
      return `Q(u, ${at(0)}, ${int(field.count)})`;
    case "pad":
      return "";
  }
}

function singleAt(field: PlannedField, base: string): At {
  return (k) => offsetExpr(base, field.offset + k);
}

/** Source that returns the values of the struct in `u` from `base` ("0" folds offsets). */
export function unpackSource(plan: Plan, base: string): string {
  const valued = plan.fields.filter((field) => field.plan.kind !== "pad");
  const small = valued.every((f) => f.count <= UNROLL || f.code === "s" || f.code === "p");
  if (small && plan.itemCount <= LITERAL_ITEMS) {
    const items: string[] = [];
    const prelude: string[] = [];
    for (const field of valued) {
      if (field.code === "s" || field.code === "p") {
        items.push(unpackItem(field, singleAt(field, base), prelude));
        continue;
      }
      for (let i = 0; i < field.count; i++) {
        const start = field.offset + i * field.size;
        items.push(unpackItem(field, (k) => offsetExpr(base, start + k), prelude));
      }
    }
    return `${prelude.join("")}return [\n${items.join(",\n")}\n];`;
  }
  let body = `const r = new Array(${int(plan.itemCount)});\nlet j = 0;\n`;
  for (const field of valued) {
    if (field.code === "s" || field.code === "p") {
      body += `r[j++] = ${unpackItem(field, singleAt(field, base))};\n`;
      continue;
    }
    body += forEachItem(
      field,
      base,
      false,
      (_i, at) => `r[j++] = ${unpackItem(field, at)};\n`,
      (_index, at) => `r[j++] = ${unpackItem(field, at)};\n`,
    );
  }
  return `${body}return r;`;
}
