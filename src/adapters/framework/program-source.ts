import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, extname, isAbsolute, join, resolve } from "node:path";
import { OpmError } from "../../kernel/errors/index.js";
import { requireLibraryName } from "./library-name.js";

/** What one file of a program is, by its extension. */
export type SourceKind = "c" | "llvm-ir" | "llvm-bc" | "wasm" | "clif";

/** One file of a program and, for C, the flags it is compiled with (`-I`, `-D`, `-U`, `-std=`, `-include`). */
export interface SourceFile {
  /** Absolute path. */
  path: string;
  kind: SourceKind;
  /** Preprocessor and language flags only, paths absolute; never `-c`, `-o` or `-O`. */
  args: string[];
}

/**
 * A program as people build it: its translation units (or IR modules) with their own
 * flags, and the libraries it links against. Each toolchain turns one into a problem
 * (`Toolchain.prepare`) — LLVM links the modules, GCC keeps the units apart, Cranelift
 * links them to one wasm module — and says clearly what it cannot take.
 */
export interface ProgramSource {
  /** Sorted by path, no duplicates. */
  files: SourceFile[];
  /** Libraries the program links against, as `-l` takes them (`m`, `z`), sorted, no duplicates. */
  libraries: string[];
}

/** What the user adds to every C file, and to the link. */
export interface ProgramSourceOptions {
  /** Extra flags for every C file (`--cflags`): only preprocessor and language flags are kept. */
  cflags?: readonly string[];
  /** Extra libraries (`--lib m`). */
  libraries?: readonly string[];
  /** Base directory relative paths are resolved against; default the working directory. */
  cwd?: string;
}

const KIND_OF_EXTENSION: Readonly<Record<string, SourceKind>> = {
  ".c": "c", ".ll": "llvm-ir", ".bc": "llvm-bc", ".wasm": "wasm", ".clif": "clif",
};

/** Folders a directory scan never enters: version control, build output, dependencies. */
const SKIPPED_DIRS = new Set([".git", ".hg", ".svn", "node_modules", "target", "build", "CMakeFiles"]);

/**
 * Reads a program from what a user names on the command line: C files, `.ll`, `.bc`,
 * `.wasm` or `.clif` files, a directory (every `.c` under it, with `-I` for each folder
 * holding a header — or its `compile_commands.json` when it has one at its top), or a
 * `compile_commands.json` (what CMake, Meson and Bear write: each file with its own `-I`,
 * `-D`, `-U`, `-std=`, `-include`; `-l` flags found there join the libraries).
 * Throws invalid_argument naming the path for a missing file, an unknown extension, an
 * empty directory or a malformed compile database.
 */
export function readProgramSource(paths: readonly string[], options: ProgramSourceOptions = {}): ProgramSource {
  if (paths.length === 0) throw new OpmError("invalid_argument", "no program given: name C files, IR files, a directory or a compile_commands.json", { field: "files" });
  const cwd = options.cwd ?? process.cwd();
  const userFlags = keepCompileFlags(options.cflags ?? [], cwd, "--cflags");
  const libraries = new Set(options.libraries ?? []);
  const files = new Map<string, SourceFile>();
  const add = (f: SourceFile): void => {
    if (!files.has(f.path)) files.set(f.path, f.kind === "c" ? { ...f, args: [...f.args, ...userFlags.args] } : f);
  };
  for (const given of paths) {
    const path = resolve(cwd, given);
    if (!existsSync(path)) throw new OpmError("invalid_argument", `\`${given}\` does not exist`, { field: "files" });
    if (statSync(path).isDirectory()) {
      const database = join(path, "compile_commands.json");
      const read = existsSync(database) ? readCompileCommands(database) : scanDirectory(path);
      read.files.forEach(add);
      read.libraries.forEach((l) => libraries.add(l));
    } else if (basename(path) === "compile_commands.json") {
      const read = readCompileCommands(path);
      read.files.forEach(add);
      read.libraries.forEach((l) => libraries.add(l));
    } else {
      add({ path, kind: kindOf(path, given), args: [] });
    }
  }
  userFlags.libraries.forEach((l) => libraries.add(l));
  libraries.forEach((l) => requireLibraryName(l));
  return { files: [...files.values()].sort((a, b) => (a.path < b.path ? -1 : 1)), libraries: [...libraries].sort() };
}

/** `program` itself, or the program of the one file `path` names (`readProgramSource([path])`). */
export function programOf(program: ProgramSource | string): ProgramSource {
  return typeof program === "string" ? readProgramSource([program]) : program;
}

function kindOf(path: string, given: string): SourceKind {
  const kind = KIND_OF_EXTENSION[extname(path)];
  if (kind === undefined) {
    throw new OpmError("invalid_argument", `\`${given}\`: not a program file (expected .c, .ll, .bc, .wasm, .clif, a directory or a compile_commands.json)`, { field: "files" });
  }
  return kind;
}

/** Every `.c` under `root` (sorted), each with `-I` for every folder under `root` that holds a `.h`. */
function scanDirectory(root: string): ProgramSource {
  const sources: string[] = [];
  const headerDirs = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.name.startsWith(".") || SKIPPED_DIRS.has(entry.name)) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".c")) sources.push(path);
      else if (entry.name.endsWith(".h")) headerDirs.add(dir);
    }
  };
  walk(root);
  if (sources.length === 0) throw new OpmError("invalid_argument", `\`${root}\` holds no .c file`, { field: "files" });
  const args = [...headerDirs].sort().map((d) => `-I${d}`);
  return { files: sources.map((path) => ({ path, kind: "c" as const, args })), libraries: [] };
}

/**
 * The C files of a compile database, each with the flags that matter to what it
 * compiles to (preprocessor and language standard), paths made absolute against the
 * entry's `directory`.
 */
export function readCompileCommands(path: string): ProgramSource {
  const where = (i: number, field: string) => `\`${path}\` entry ${i}: field \`${field}\``;
  let entries: unknown;
  try {
    entries = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new OpmError("invalid_argument", `\`${path}\` is not JSON: ${(err as Error).message}`, { field: "files" });
  }
  if (!Array.isArray(entries)) throw new OpmError("invalid_argument", `\`${path}\` is not a JSON array of compile commands`, { field: "files" });
  const files: SourceFile[] = [];
  const libraries = new Set<string>();
  for (const [i, raw] of entries.entries()) {
    const e = raw as { directory?: unknown; file?: unknown; arguments?: unknown; command?: unknown };
    if (typeof e?.directory !== "string") throw new OpmError("invalid_argument", `${where(i, "directory")} must be a string`, { field: "files" });
    if (typeof e.file !== "string") throw new OpmError("invalid_argument", `${where(i, "file")} must be a string`, { field: "files" });
    const directory = resolve(dirname(path), e.directory);
    const argv = Array.isArray(e.arguments) && e.arguments.every((a) => typeof a === "string") ? (e.arguments as string[])
      : typeof e.command === "string" ? splitCommand(e.command, where(i, "command"))
        : undefined;
    if (argv === undefined) throw new OpmError("invalid_argument", `${where(i, "arguments")}: give \`arguments\` (strings) or \`command\``, { field: "files" });
    const file = resolve(directory, e.file);
    if (extname(file) !== ".c") throw new OpmError("invalid_argument", `${where(i, "file")}: \`${e.file}\` is not C (only .c translation units are supported)`, { field: "files" });
    if (!existsSync(file)) throw new OpmError("invalid_argument", `${where(i, "file")}: \`${file}\` does not exist`, { field: "files" });
    const kept = keepCompileFlags(argv.slice(1), directory, where(i, "arguments"), file);
    kept.libraries.forEach((l) => libraries.add(l));
    files.push({ path: file, kind: "c", args: kept.args });
  }
  if (files.length === 0) throw new OpmError("invalid_argument", `\`${path}\` lists no translation unit`, { field: "files" });
  return { files, libraries: [...libraries] };
}

/**
 * Path flags a `SourceFile` keeps as two arguments (`-isystem /abs/dir`); `-I` is kept
 * joined (`-I/abs/dir`). A C bundle carries the same forms.
 */
export const SPLIT_PATH_FLAGS: ReadonlySet<string> = new Set(["-isystem", "-iquote", "-idirafter", "-include"]);

/** Flags whose value is the next argument when not attached. */
const PATH_FLAGS = new Set(["-I", ...SPLIT_PATH_FLAGS]);

/**
 * Keeps what decides what a file compiles to — `-I`/`-isystem`/`-iquote`/`-idirafter`
 * and `-include` (paths made absolute against `directory`), `-D`, `-U`, `-std=` — and
 * collects `-l` libraries; drops everything else (the compiler, the file itself, `-c`,
 * `-o FILE`, `-O`, `-g`, warnings, machine and code-generation flags).
 */
function keepCompileFlags(argv: readonly string[], directory: string, where: string, file?: string): { args: string[]; libraries: string[] } {
  const args: string[] = [];
  const libraries: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const joined = [...PATH_FLAGS].find((f) => a.startsWith(f) && a.length > f.length && (f !== "-I" || !a.startsWith("-include")));
    if (PATH_FLAGS.has(a) || joined !== undefined) {
      const flag = joined ?? a;
      const value = joined !== undefined ? a.slice(flag.length) : argv[++i];
      if (value === undefined) throw new OpmError("invalid_argument", `${where}: \`${a}\` has no value`, { field: "files" });
      const abs = isAbsolute(value) ? value : resolve(directory, value);
      args.push(flag === "-I" ? `-I${abs}` : flag, ...(flag === "-I" ? [] : [abs]));
    } else if (a === "-D" || a === "-U") {
      const value = argv[++i];
      if (value === undefined) throw new OpmError("invalid_argument", `${where}: \`${a}\` has no value`, { field: "files" });
      args.push(`${a}${value}`);
    } else if (/^-[DU]./.test(a) || a.startsWith("-std=")) {
      args.push(a);
    } else if (a === "-l") {
      const value = argv[++i];
      if (value !== undefined) libraries.push(value);
    } else if (/^-l./.test(a)) {
      libraries.push(a.slice(2));
    } else if (a === "-o" || a === "-MF" || a === "-MT" || a === "-MQ" || a === "-x") {
      i++; // flag with a value we do not keep
    } else if (file !== undefined && !a.startsWith("-") && resolve(directory, a) === file) {
      // the translation unit itself
    }
  }
  return { args, libraries };
}

/** Splits a shell command line as a POSIX shell would (quotes and backslashes; no expansions). */
export function splitCommand(command: string, where = "command"): string[] {
  const out: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (c === "'") {
      const end = command.indexOf("'", i + 1);
      if (end < 0) throw new OpmError("invalid_argument", `${where}: unterminated single quote`, { field: "files" });
      word = (word ?? "") + command.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      word ??= "";
      for (i++; i < command.length && command[i] !== '"'; i++) {
        if (command[i] === "\\" && i + 1 < command.length && '"\\$`'.includes(command[i + 1]!)) i++;
        word += command[i];
      }
      if (i >= command.length) throw new OpmError("invalid_argument", `${where}: unterminated double quote`, { field: "files" });
    } else if (c === "\\" && i + 1 < command.length) {
      word = (word ?? "") + command[++i];
    } else if (/\s/.test(c)) {
      if (word !== undefined) out.push(word);
      word = undefined;
    } else {
      word = (word ?? "") + c;
    }
  }
  if (word !== undefined) out.push(word);
  return out;
}
