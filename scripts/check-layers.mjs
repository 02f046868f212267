#!/usr/bin/env node
// Checks the floors of src/: every relative import goes down (or sideways within a floor),
// the compiler-independent parts of src/adapters never reach into a compiler folder, and
// compiler names are switched on only where a compiler is allowed to be named.
// Plain Node ESM, no dependencies: `node scripts/check-layers.mjs [repoRoot]`.
// Exit 0 with a one-line summary, or 1 with one line per violation on stderr.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

// ── Configuration ───────────────────────────────────────────────────────────────────────

/** The floors, lowest first. A floor may import itself and the floors in `mayImport`. */
export const FLOORS = [
  { name: "kernel", dirs: ["src/gen", "src/kernel"], mayImport: [] },
  // Pure differential privacy (samplers, accountants, filter): no I/O, usable on both sides.
  { name: "privacy", dirs: ["src/privacy"], mayImport: ["kernel"] },
  { name: "ledger", dirs: ["src/ledger"], mayImport: ["kernel"] },
  { name: "adapters", dirs: ["src/adapters"], mayImport: ["kernel", "ledger"] },
  { name: "server", dirs: ["src/server"], mayImport: ["kernel", "privacy", "ledger", "adapters"] },
  // Not server: the participant's client reaches a registry through src/kernel/wire.
  { name: "client", dirs: ["src/client"], mayImport: ["kernel", "privacy", "ledger", "adapters"] },
  { name: "cli", dirs: ["src/cli"], mayImport: ["kernel", "privacy", "ledger", "adapters", "server", "client"] },
];

/** Generated code: part of floor kernel, not scanned. */
export const GENERATED_DIR = "src/gen";

/** Compiler-independent folders of src/adapters; every other folder there is a compiler. */
export const ADAPTERS_DIR = "src/adapters";
export const COMPILER_INDEPENDENT = ["framework", "verifier"];

/** The list of toolchains: the one compiler-independent file allowed to import compiler folders. */
export const TOOLCHAINS_FILE = "src/adapters/framework/toolchains.ts";

/** Documented compiler → compiler imports, as [from, to]. */
export const COMPILER_IMPORT_EXCEPTIONS = [
  ["gcc", "llvm"], // the GCC toolchain uses clang's IR for its feature vector
];

/** Trees src/ must not import (test and dev code). */
export const DEV_ONLY_DIRS = ["test", "bench", "conformance", "scripts"];
/** Documented src/ → dev-tree imports, as [fromFile, toFile]; keep it empty if you can. */
export const DEV_IMPORT_EXCEPTIONS = [];

/** Files outside src/adapters/<compiler>/ that may name any compiler in a string literal. */
export const COMPILER_NAME_ALLOWED_FILES = [TOOLCHAINS_FILE];

// ── Lexer: just enough TypeScript to tell code, strings, templates, regexes and comments apart ──

const KEYWORDS_BEFORE_EXPRESSION = new Set([
  "return", "typeof", "instanceof", "in", "of", "new", "delete", "void", "throw", "case", "do", "else", "yield", "await",
]);
const IDENT_START = /[\p{ID_Start}$_]/u;
const IDENT_PART = /[\p{ID_Continue}$\u200c\u200d]/u;

/**
 * Tokens of `text`: `{ type: "ident" | "punct" | "string" | "template" | "other", value, line }`.
 * Comments are dropped; a template without substitutions is a "string" with `template: true`.
 */
export function tokenize(text) {
  const tokens = [];
  const braceStack = []; // open `{` count per enclosing template substitution
  let i = 0;
  let line = 1;
  const push = (type, value, startLine, extra) => tokens.push({ type, value, line: startLine, ...extra });
  const prevSignificant = () => tokens[tokens.length - 1];
  const regexAllowed = () => {
    const p = prevSignificant();
    if (p === undefined) return true;
    if (p.type === "punct") return !([")", "]", "++", "--"].includes(p.value));
    if (p.type === "ident") {
      const beforeP = tokens[tokens.length - 2];
      return KEYWORDS_BEFORE_EXPRESSION.has(p.value) && !(beforeP?.type === "punct" && beforeP.value === ".");
    }
    return false;
  };
  // Scans template text from i (just after ` or }); returns when the template ends or a ${ opens.
  const scanTemplate = (startLine, head) => {
    let raw = "";
    while (i < text.length) {
      const c = text[i];
      if (c === "\\") { raw += text.slice(i, i + 2); if (text[i + 1] === "\n") line++; i += 2; continue; }
      if (c === "`") {
        i++;
        if (head) push("string", unescape(raw), startLine, { template: true });
        else push("template", raw, startLine);
        return;
      }
      if (c === "$" && text[i + 1] === "{") {
        i += 2;
        push("template", raw, startLine);
        braceStack.push(0);
        return;
      }
      if (c === "\n") line++;
      raw += c;
      i++;
    }
  };
  while (i < text.length) {
    const c = text[i];
    const next = text[i + 1];
    if (c === "\n") { line++; i++; continue; }
    if (c === " " || c === "\t" || c === "\r" || c === "\f" || c === "\v" || c === "\ufeff" || c === "\u00a0") { i++; continue; }
    if (c === "/" && next === "/") { while (i < text.length && text[i] !== "\n") i++; continue; }
    if (c === "/" && next === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end === -1 ? text.length : end + 2;
      for (let j = i; j < stop; j++) if (text[j] === "\n") line++;
      i = stop;
      continue;
    }
    if (c === "#" && next === "!" && i === 0) { while (i < text.length && text[i] !== "\n") i++; continue; }
    if (c === '"' || c === "'") {
      const startLine = line;
      let raw = "";
      i++;
      while (i < text.length && text[i] !== c && text[i] !== "\n") {
        if (text[i] === "\\") { raw += text.slice(i, i + 2); if (text[i + 1] === "\n") line++; i += 2; continue; }
        raw += text[i++];
      }
      i++;
      push("string", unescape(raw), startLine);
      continue;
    }
    if (c === "`") { i++; scanTemplate(line, true); continue; }
    if (c === "}" && braceStack.length > 0 && braceStack[braceStack.length - 1] === 0) {
      braceStack.pop();
      i++;
      scanTemplate(line, false);
      continue;
    }
    if (c === "/" && regexAllowed()) {
      const startLine = line;
      let inClass = false;
      let j = i + 1;
      while (j < text.length && text[j] !== "\n") {
        const d = text[j];
        if (d === "\\") { j += 2; continue; }
        if (d === "[") inClass = true;
        else if (d === "]") inClass = false;
        else if (d === "/" && !inClass) break;
        j++;
      }
      j++;
      while (j < text.length && IDENT_PART.test(text[j])) j++;
      push("other", text.slice(i, j), startLine);
      i = j;
      continue;
    }
    if (IDENT_START.test(c) || c === "\\") {
      let j = i + 1;
      while (j < text.length && IDENT_PART.test(text[j])) j++;
      push("ident", text.slice(i, j), line);
      i = j;
      continue;
    }
    if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(next ?? ""))) {
      let j = i + 1;
      while (j < text.length && /[0-9A-Za-z_.]/.test(text[j])) j++;
      push("other", text.slice(i, j), line);
      i = j;
      continue;
    }
    if ((c === "+" || c === "-") && next === c) { push("punct", c + c, line); i += 2; continue; }
    if (braceStack.length > 0) {
      if (c === "{") braceStack[braceStack.length - 1]++;
      else if (c === "}") braceStack[braceStack.length - 1]--;
    }
    push("punct", c, line);
    i++;
  }
  return tokens;
}

function unescape(raw) {
  return raw.replace(/\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\r?\n|.)/g, (_, e) => {
    if (e[0] === "u") return String.fromCodePoint(parseInt(e[1] === "{" ? e.slice(2, -1) : e.slice(1), 16));
    if (e[0] === "x") return String.fromCharCode(parseInt(e.slice(1), 16));
    if (e === "\n" || e === "\r\n") return "";
    return { n: "\n", t: "\t", r: "\r", b: "\b", f: "\f", v: "\v", 0: "\0" }[e] ?? e;
  });
}

/**
 * The module specifiers of `text`: `import … from "x"`, `import "x"`, `export … from "x"`,
 * `import("x")` (also in types: `typeof import("x")`). `typeOnly` for `import type`/`export type`.
 */
export function importsOf(text) {
  const tokens = tokenize(text);
  const found = [];
  const isPunct = (t, v) => t?.type === "punct" && t.value === v;
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k];
    if (t.type !== "ident" || isPunct(tokens[k - 1], ".")) continue;
    const n1 = tokens[k + 1];
    const n2 = tokens[k + 2];
    if (t.value === "import" && n1?.type === "string") {
      found.push({ specifier: n1.value, line: n1.line, typeOnly: false });
    } else if (t.value === "import" && isPunct(n1, "(") && n2?.type === "string") {
      found.push({ specifier: n2.value, line: n2.line, typeOnly: false });
    } else if (t.value === "from" && n1?.type === "string" && !n1.template) {
      // Walk back to the statement's `import`/`export` to see whether it is type-only.
      let typeOnly = false;
      for (let b = k - 1; b >= 0; b--) {
        const w = tokens[b];
        if (w.type === "ident" && (w.value === "import" || w.value === "export") && !isPunct(tokens[b - 1], ".")) {
          typeOnly = tokens[b + 1]?.type === "ident" && tokens[b + 1].value === "type" && !isPunct(tokens[b + 2], ",")
            && !(tokens[b + 2]?.type === "ident" && tokens[b + 2].value === "from");
          break;
        }
        if (isPunct(w, ";")) break;
      }
      found.push({ specifier: n1.value, line: n1.line, typeOnly });
    }
  }
  return found;
}

/** The string literals of `text` (not in comments; template text with substitutions excluded). */
export function stringLiteralsOf(text) {
  return tokenize(text).filter((t) => t.type === "string");
}

/**
 * Names used as keys or properties: an identifier before `:` in an object literal or
 * after `.` (`{ gcc: … }`, `table.gcc`) — a compiler switch written without quotes.
 * (A `?:` ternary's branch is not a key: an identifier right after `?` is skipped.)
 */
export function keyNamesOf(text) {
  const tokens = tokenize(text);
  const out = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.type !== "ident") continue;
    const before = tokens[i - 1], after = tokens[i + 1];
    const isKey = after?.type === "punct" && after.value === ":" && before?.type === "punct" && ["{", ","].includes(before.value);
    const isProperty = before?.type === "punct" && (before.value === "." || before.value === "?.");
    if (isKey || isProperty) out.push(t);
  }
  return out;
}

// ── Tree ───────────────────────────────────────────────────────────────────────────────

const posix = (p) => p.split(path.sep).join("/");

function listTsFiles(root, dir) {
  const out = [];
  const walk = (rel) => {
    const abs = path.join(root, rel);
    if (!existsSync(abs)) return;
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      const child = rel + "/" + entry.name;
      if (entry.isDirectory()) {
        if (entry.name === "node_modules" || entry.name === "target" || child === GENERATED_DIR) continue;
        walk(child);
      } else if (/\.(ts|mts|cts)$/.test(entry.name) && !entry.name.endsWith(".d.ts")) {
        out.push(child);
      }
    }
  };
  walk(dir);
  return out.sort();
}

/** The repo-relative file a relative specifier names, or undefined when it names none. */
function resolveSpecifier(root, fromFile, specifier) {
  const base = posix(path.posix.normalize(path.posix.join(path.posix.dirname(fromFile), specifier)));
  const candidates = [];
  const swaps = [[".js", [".ts", ".tsx", ".d.ts"]], [".mjs", [".mts", ".d.mts"]], [".cjs", [".cts", ".d.cts"]], [".jsx", [".tsx"]]];
  for (const [ext, tsExts] of swaps) {
    if (base.endsWith(ext)) for (const t of tsExts) candidates.push(base.slice(0, -ext.length) + t);
  }
  candidates.push(base, base + ".ts", base + ".tsx", base + ".d.ts", base + "/index.ts", base + "/index.tsx");
  for (const c of candidates) {
    const abs = path.join(root, c);
    if (existsSync(abs) && statSync(abs).isFile()) return c;
  }
  return undefined;
}

const under = (file, dir) => file === dir || file.startsWith(dir + "/");

function floorOf(file) {
  return FLOORS.find((f) => f.dirs.some((d) => under(file, d)));
}

/** For a file under src/adapters: its folder there (`framework`, `llvm`, …), or "" at the top. */
function adaptersFolderOf(file) {
  if (!under(file, ADAPTERS_DIR)) return undefined;
  const rest = file.slice(ADAPTERS_DIR.length + 1).split("/");
  return rest.length > 1 ? rest[0] : "";
}

function compilerNames(root) {
  const abs = path.join(root, ADAPTERS_DIR);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !COMPILER_INDEPENDENT.includes(e.name))
    .map((e) => e.name)
    .sort();
}

// ── The check ──────────────────────────────────────────────────────────────────────────

/**
 * Checks the tree at `root` (the repository root). Returns one line per violation
 * (`violations`), the same as objects with their rule (`findings`), and how many files were
 * scanned and distinct file → file edges checked.
 */
export function checkLayers(root) {
  const files = listTsFiles(root, "src");
  const compilers = compilerNames(root);
  const findings = [];
  const seen = new Set();
  const add = (f) => {
    const key = `${f.rule}\0${f.from}\0${f.to ?? ""}\0${f.line}\0${f.message}`;
    if (!seen.has(key)) { seen.add(key); findings.push(f); }
  };
  const edges = new Set();

  for (const file of files) {
    const text = readFileSync(path.join(root, file), "utf8");
    const floor = floorOf(file);
    if (floor === undefined) {
      add({ rule: "no-floor", from: file, line: 1, message: `${file}: is in no floor (${FLOORS.flatMap((f) => f.dirs).join(", ")})` });
    }

    // Imports: one edge per distinct target; a type-only edge becomes a value edge if any import is.
    const targets = new Map();
    for (const imp of importsOf(text)) {
      if (!imp.specifier.startsWith("./") && !imp.specifier.startsWith("../")) continue;
      const to = resolveSpecifier(root, file, imp.specifier);
      if (to === undefined) {
        add({ rule: "unresolved", from: file, line: imp.line, message: `${file}:${imp.line} imports ${imp.specifier}: no such file` });
        continue;
      }
      const prev = targets.get(to);
      if (prev === undefined) targets.set(to, { line: imp.line, typeOnly: imp.typeOnly });
      else prev.typeOnly &&= imp.typeOnly;
    }
    for (const [to, { line, typeOnly }] of targets) {
      edges.add(`${file}\0${to}`);
      const v = (rule, why) => add({ rule, from: file, to, line, typeOnly, message: `${file} imports ${to}: ${why}` });
      if (!under(to, "src")) {
        const dev = DEV_ONLY_DIRS.find((d) => under(to, d));
        // Co-located unit tests may share the test support and the corpus; shipped code may not.
        if (dev !== undefined && !file.endsWith(".test.ts") && !DEV_IMPORT_EXCEPTIONS.some(([a, b]) => a === file && b === to)) {
          v("src-imports-dev", `src/ may not import ${dev}/`);
        }
        continue;
      }
      const toFloor = floorOf(to);
      if (floor === undefined || toFloor === undefined) continue; // reported as no-floor
      if (toFloor !== floor && !floor.mayImport.includes(toFloor.name)) {
        v("floor", `floor ${floor.name} may not import floor ${toFloor.name}`);
        continue;
      }
      if (floor.name === "adapters" && toFloor.name === "adapters") {
        const fromFolder = adaptersFolderOf(file);
        const toFolder = adaptersFolderOf(to);
        const fromCompiler = compilers.includes(fromFolder);
        const toCompiler = compilers.includes(toFolder);
        if (toCompiler && !fromCompiler && file !== TOOLCHAINS_FILE) {
          const where = fromFolder === "" ? ADAPTERS_DIR : `${ADAPTERS_DIR}/${fromFolder}`;
          v("compiler-independent", `${where} is compiler-independent and may not import compiler folder ${ADAPTERS_DIR}/${toFolder} (only ${TOOLCHAINS_FILE} may)`);
        } else if (toCompiler && fromCompiler && fromFolder !== toFolder
          && !COMPILER_IMPORT_EXCEPTIONS.some(([a, b]) => a === fromFolder && b === toFolder)) {
          v("compiler-to-compiler", `compiler folder ${ADAPTERS_DIR}/${fromFolder} may not import compiler folder ${ADAPTERS_DIR}/${toFolder}`);
        }
      }
    }

    // Compiler switches: a compiler's name as a string literal outside its own folder.
    // Tests and test data name compilers as inputs, not as switches.
    if (file.endsWith(".test.ts") || file.includes("/testdata/") || COMPILER_NAME_ALLOWED_FILES.includes(file)) continue;
    const ownCompiler = adaptersFolderOf(file);
    for (const s of [...stringLiteralsOf(text), ...keyNamesOf(text)]) {
      if (!compilers.includes(s.value) || s.value === ownCompiler) continue;
      const quoted = s.type === "ident" ? s.value : s.template ? `\`${s.value}\`` : JSON.stringify(s.value);
      add({
        rule: "compiler-switch", from: file, line: s.line, literal: s.value,
        message: `${file}:${s.line}: compiler name ${quoted} outside ${ADAPTERS_DIR}/${s.value}/ (a compiler switch belongs in its adapter or ${TOOLCHAINS_FILE})`,
      });
    }
  }

  findings.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : a.line - b.line || (a.message < b.message ? -1 : 1)));
  return { violations: findings.map((f) => f.message), findings, files: files.length, edges: edges.size };
}

// ── Command line ───────────────────────────────────────────────────────────────────────

const self = fileURLToPath(import.meta.url);
if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === self) {
  const root = path.resolve(process.argv[2] ?? path.join(path.dirname(self), ".."));
  const { violations, files, edges } = checkLayers(root);
  if (violations.length > 0) {
    for (const line of violations) process.stderr.write(line + "\n");
    process.stderr.write(`check-layers: ${violations.length} violation(s) in ${files} files, ${edges} edges\n`);
    process.exit(1);
  }
  process.stdout.write(`check-layers: ok, ${files} files scanned, ${edges} edges checked\n`);
}
