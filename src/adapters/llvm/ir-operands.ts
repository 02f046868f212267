import type { IrInstruction } from "./read-llvm-ir.js";

/** An integer constant (`llvm::ConstantInt`) used as an instruction operand. */
export interface ConstantIntOperand {
  width: number;
  isZero: boolean;
  isOne: boolean;
}

const TOKEN =
  /c"[^"]*"|"[^"]*"|[%@!](?:"[^"]*"|[-\w$.]+)|#\d+|0x[KMLHR]?[0-9A-Fa-f]+|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|[A-Za-z_][\w.]*|\.\.\.|[(){}[\]<>,*=]/g;
const OPEN = new Set(["(", "[", "{", "<"]);
const CLOSE = new Set([")", "]", "}", ">"]);
const INT_TYPE = /^i(\d+)$/;
const INT_LITERAL = /^-?\d+$/;
/** Parameter attributes that may stand between an operand's type and its value. */
const PARAM_ATTRS = new Set([
  "noundef", "signext", "zeroext", "inreg", "nonnull", "noalias", "nocapture", "nofree", "nest", "returned",
  "swiftself", "swiftasync", "swifterror", "immarg", "readonly", "readnone", "writeonly", "noinline",
]);
/** Attributes written with a parenthesised argument (`dereferenceable(8)`, `byval(%T)`, `align 4` is separate). */
const PAREN_ATTRS = new Set(["dereferenceable", "dereferenceable_or_null", "byval", "byref", "sret", "elementtype", "preallocated", "inalloca", "align"]);
const ORDERINGS = new Set(["unordered", "monotonic", "acquire", "release", "acq_rel", "seq_cst", "syncscope"]);

/** Splits instruction text into LLVM assembly tokens (strings and names kept whole). */
export function tokenize(text: string): string[] {
  return text.match(TOKEN) ?? [];
}

/** Splits tokens at commas outside any bracket. */
function splitTopLevel(tokens: readonly string[]): string[][] {
  const parts: string[][] = [[]];
  let depth = 0;
  for (const t of tokens) {
    if (OPEN.has(t)) depth++;
    else if (CLOSE.has(t)) depth--;
    if (t === "," && depth === 0) parts.push([]);
    else parts[parts.length - 1]!.push(t);
  }
  return parts;
}

/** Index of the bracket matching the closing one at `close`, scanning backwards. */
function openerOf(tokens: readonly string[], close: number): number {
  let depth = 0;
  for (let i = close; i >= 0; i--) {
    if (CLOSE.has(tokens[i]!)) depth++;
    else if (OPEN.has(tokens[i]!) && --depth === 0) return i;
  }
  return -1;
}

function constant(width: number, literal: string): ConstantIntOperand {
  const isOne = literal === "true" || literal === "1" || (width === 1 && literal === "-1");
  const isZero = literal === "false" || /^-?0+$/.test(literal);
  return { width, isZero, isOne };
}

/** `ty [attrs] value` → the constant when `value` is an integer literal of scalar type `iN`. */
function typedConstant(part: readonly string[]): ConstantIntOperand | undefined {
  let end = part.length - 1;
  while (end >= 0 && ORDERINGS.has(part[end]!)) end--;
  if (end >= 0 && part[end] === ")" && part[openerOf(part, end) - 1] === "syncscope") {
    end = openerOf(part, end) - 2;
    while (end >= 0 && ORDERINGS.has(part[end]!)) end--;
  }
  const value = part[end];
  if (value === undefined || !(INT_LITERAL.test(value) || value === "true" || value === "false")) return undefined;
  let i = end - 1;
  for (;;) {
    const t = part[i];
    if (t === undefined) return undefined;
    if (PARAM_ATTRS.has(t)) i--;
    else if (t === ")" && PAREN_ATTRS.has(part[openerOf(part, i) - 1] ?? "")) i = openerOf(part, i) - 2;
    else if (INT_LITERAL.test(t) && part[i - 1] === "align") i -= 2;
    else break;
  }
  const width = INT_TYPE.exec(part[i] ?? "")?.[1];
  // `[4 x i32] 5` cannot occur; a type token directly before the literal is its type.
  return width === undefined ? undefined : constant(Number(width), value);
}

/** Tokens of the operand list: the instruction without its opcode (and `tail` marker). */
function operandTokens(text: string): string[] {
  const tokens = tokenize(text);
  let k = 0;
  while (tokens[k] === "tail" || tokens[k] === "musttail" || tokens[k] === "notail") k++;
  return tokens.slice(k + 1);
}

/** The two operands of a binary operator or compare, as written (`%3`, `1`, `@g`, `undef`). */
export function binaryOperands(text: string): [string | undefined, string | undefined] {
  const parts = splitTopLevel(operandTokens(text));
  const first = parts[0] ?? [];
  const second = parts[1] ?? [];
  return [first[first.length - 1], second.length === 1 ? second[0] : second.join(" ")];
}

/** The last top-level `( … )` group: a call's argument list. Returns [open, close] or undefined. */
function callArguments(tokens: readonly string[]): [number, number] | undefined {
  let depth = 0;
  let last: [number, number] | undefined;
  let open = -1;
  tokens.forEach((t, i) => {
    if (OPEN.has(t)) {
      if (depth === 0 && t === "(") open = i;
      depth++;
    } else if (CLOSE.has(t)) {
      depth--;
      if (depth === 0 && t === ")" && open >= 0) last = [open, i];
    }
  });
  return last;
}

/** True for `call … iN @f(…)`: a direct call whose callee returns an integer (Autophase `returnInt`). */
export function isDirectIntCall(text: string): boolean {
  const tokens = operandTokens(text);
  const args = callArguments(tokens);
  if (!args) return false;
  const callee = tokens[args[0] - 1];
  if (callee === undefined || !callee.startsWith("@")) return false;
  let i = args[0] - 2;
  if (tokens[i] === ")") i = openerOf(tokens, i) - 1; // explicit function type `i32 (i8*, ...)`
  return INT_TYPE.test(tokens[i] ?? "");
}

/** The `ConstantInt` operands of one instruction, as LLVM's `getOperand(i)` would list them. */
export function constantIntOperands(inst: IrInstruction): ConstantIntOperand[] {
  const tokens = operandTokens(inst.text);
  const found: ConstantIntOperand[] = [];
  const op = inst.opcode;
  if (op === "phi") {
    const width = INT_TYPE.exec(tokens[0] ?? "")?.[1];
    if (width === undefined) return found;
    for (const m of inst.text.matchAll(/\[\s*(-?\d+|true|false)\s*,/g)) found.push(constant(Number(width), m[1]!));
    return found;
  }
  if (op === "switch") {
    for (const m of inst.text.matchAll(/\bi(\d+)\s+(-?\d+|true|false)\b/g)) found.push(constant(Number(m[1]), m[2]!));
    return found;
  }
  const parts = splitTopLevel(tokens);
  if (op === "icmp" || op === "fcmp" || (op !== "fneg" && isBinary(op))) {
    const first = parts[0] ?? [];
    const width = INT_TYPE.exec(first[first.length - 2] ?? "")?.[1];
    if (width === undefined) return found;
    const a = first[first.length - 1];
    const b = parts[1]?.length === 1 ? parts[1][0] : undefined;
    for (const v of [a, b]) if (v !== undefined && (INT_LITERAL.test(v) || v === "true" || v === "false")) found.push(constant(Number(width), v));
    return found;
  }
  if (op === "call" || op === "invoke" || op === "callbr") {
    const args = callArguments(tokens);
    if (!args) return found;
    for (const part of splitTopLevel(tokens.slice(args[0] + 1, args[1]))) {
      const c = typedConstant(part);
      if (c) found.push(c);
    }
    return found;
  }
  if (op === "extractvalue") return found; // indices are not operands
  for (const part of op === "insertvalue" ? parts.slice(0, 2) : parts) {
    const c = typedConstant(part);
    if (c) found.push(c);
  }
  // `alloca T` has the implicit array-size operand `i32 1`.
  if (op === "alloca" && !parts.slice(1).some((p) => INT_TYPE.test(p[0] ?? ""))) found.push(constant(32, "1"));
  return found;
}

function isBinary(op: string): boolean {
  return /^(f?(add|sub|mul|rem|div)|[us](div|rem)|shl|lshr|ashr|and|or|xor)$/.test(op);
}
