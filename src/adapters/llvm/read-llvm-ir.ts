import { OpmError } from "../../kernel/errors/index.js";

/** Every instruction opcode of LLVM 14 (`llvm/IR/Instruction.def`), spelled as in `.ll` files. */
export const LLVM_OPCODES = [
  "ret", "br", "switch", "indirectbr", "invoke", "resume", "unreachable", "cleanupret", "catchret",
  "catchswitch", "callbr", "fneg", "add", "fadd", "sub", "fsub", "mul", "fmul", "udiv", "sdiv", "fdiv",
  "urem", "srem", "frem", "shl", "lshr", "ashr", "and", "or", "xor", "alloca", "load", "store",
  "getelementptr", "fence", "cmpxchg", "atomicrmw", "trunc", "zext", "sext", "fptoui", "fptosi", "uitofp",
  "sitofp", "fptrunc", "fpext", "ptrtoint", "inttoptr", "bitcast", "addrspacecast", "cleanuppad",
  "catchpad", "icmp", "fcmp", "phi", "call", "select", "va_arg", "extractelement", "insertelement",
  "shufflevector", "extractvalue", "insertvalue", "landingpad", "freeze",
] as const;

export type LlvmOpcode = (typeof LLVM_OPCODES)[number];

const OPCODE_SET: ReadonlySet<string> = new Set(LLVM_OPCODES);
const TERMINATORS: ReadonlySet<string> = new Set([
  "ret", "br", "switch", "indirectbr", "invoke", "resume", "unreachable", "cleanupret", "catchret", "catchswitch", "callbr",
]);

export interface IrInstruction {
  opcode: LlvmOpcode;
  /** The instruction without its `%result =` prefix and comments; continuation lines joined by spaces. */
  text: string;
  /** 1-based line of the instruction in the source text. */
  line: number;
}

export interface IrBlock {
  /** The label as written (`5`, `for.body`, `"a b"`), or `""` for an unlabelled entry block. */
  label: string;
  instructions: IrInstruction[];
  /** Labels of the terminator's successors, duplicates kept (as `getNumSuccessors` counts them). */
  successors: string[];
}

export interface IrFunction {
  name: string;
  blocks: IrBlock[];
}

export interface IrModule {
  /** Defined functions (`define`), in order. */
  functions: IrFunction[];
  /** Number of `declare`d functions. */
  declarations: number;
}

/**
 * A small line-oriented reader of textual LLVM IR as `opt -S` / `clang -S -emit-llvm`
 * print it: one instruction per line (except `switch` cases and `landingpad`
 * clauses, which are joined), labels at column 0, a function body closed by `}`
 * alone on a line. It does not type-check; it finds functions, blocks, opcodes and
 * CFG successors. Throws `invalid_argument` naming the line for an unknown opcode or
 * an unterminated function.
 */
export function readLlvmIr(text: string): IrModule {
  const lines = text.split("\n");
  const module: IrModule = { functions: [], declarations: 0 };
  let fn: IrFunction | undefined;
  let block: IrBlock | undefined;
  let pending: { text: string; line: number; depth: number } | undefined;

  const finishInstruction = (): void => {
    if (!pending) return;
    const inst = parseInstruction(pending.text, pending.line);
    if (!block) {
      block = { label: "", instructions: [], successors: [] };
      fn!.blocks.push(block);
    }
    block.instructions.push(inst);
    if (TERMINATORS.has(inst.opcode)) block.successors = labelRefs(inst.text);
    pending = undefined;
  };

  for (let i = 0; i < lines.length; i++) {
    const raw = stripComment(lines[i]!);
    const trimmed = raw.trim();
    if (!fn) {
      if (trimmed.startsWith("define ")) {
        const name = /@("(?:[^"\\]|\\.)*"|[-\w$.]+)\s*\(/.exec(trimmed)?.[1];
        if (name === undefined || !trimmed.endsWith("{")) {
          throw new OpmError("invalid_argument", `LLVM IR line ${i + 1}: cannot read function header \`${trimmed.slice(0, 80)}\``);
        }
        fn = { name, blocks: [] };
        block = undefined;
      } else if (trimmed.startsWith("declare ")) {
        module.declarations++;
      }
      continue;
    }
    if (pending && pending.depth > 0) {
      pending.text += ` ${trimmed}`;
      pending.depth += bracketDepth(trimmed);
      continue;
    }
    if (trimmed === "") continue;
    if (trimmed === "}") {
      finishInstruction();
      module.functions.push(fn);
      fn = undefined;
      continue;
    }
    if (/^(catch|filter|cleanup)\b/.test(trimmed) && pending?.text.includes("landingpad")) {
      pending.text += ` ${trimmed}`;
      continue;
    }
    finishInstruction();
    if (!/^\s/.test(raw) && trimmed.endsWith(":")) {
      block = { label: trimmed.slice(0, -1), instructions: [], successors: [] };
      fn.blocks.push(block);
      continue;
    }
    pending = { text: trimmed, line: i + 1, depth: bracketDepth(trimmed) };
  }
  if (fn) throw new OpmError("invalid_argument", `LLVM IR: function @${fn.name} is not closed by \`}\``);
  return module;
}

function parseInstruction(text: string, line: number): IrInstruction {
  const body = text.charCodeAt(0) === 0x25 /* % */ ? text.replace(/^%(?:"(?:[^"\\]|\\.)*"|[-\w$.]+)\s*=\s*/, "") : text;
  // The first word after any tail-call markers (what `body.split(/\s+/)` would give,
  // without splitting the whole instruction).
  let opcode = "";
  for (const m of body.matchAll(/\S+/g)) {
    opcode = m[0];
    if (opcode !== "tail" && opcode !== "musttail" && opcode !== "notail") break;
    opcode = "";
  }
  if (!OPCODE_SET.has(opcode)) {
    throw new OpmError("invalid_argument", `LLVM IR line ${line}: unknown instruction \`${opcode}\` in \`${text.slice(0, 80)}\``);
  }
  return { opcode: opcode as LlvmOpcode, text: body, line };
}

/** Targets of `label %x` operands, in order. */
function labelRefs(text: string): string[] {
  const refs: string[] = [];
  for (const m of text.matchAll(/\blabel\s+%("(?:[^"\\]|\\.)*"|[-\w$.]+)/g)) refs.push(m[1]!);
  return refs;
}

/** Net count of `[` minus `]` outside string literals (a `switch` spans lines until its `]`). */
function bracketDepth(text: string): number {
  if (!text.includes("[") && !text.includes("]")) return 0;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "[") depth++;
    else if (c === "]") depth--;
  }
  return depth;
}

/** The line without its `;` comment; a `;` inside a string (inline asm, names) is kept. */
export function stripComment(line: string): string {
  if (!line.includes(";")) return line;
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === ";") return line.slice(0, i);
  }
  return line;
}
