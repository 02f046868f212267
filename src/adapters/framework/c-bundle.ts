import { LIBRARY_NAME } from "./library-name.js";
import { realpathSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { OpmError } from "../../kernel/errors/index.js";
import { SPLIT_PATH_FLAGS, type ProgramSource } from "./program-source.js";
import { clipLog, runTool } from "./run-tool.js";

/**
 * A multi-file C program as bytes a registry can store and ship: its translation units
 * with their flags, every local header they include and the libraries it links. Paths
 * are relative to the program's root; nothing outside that root is in it.
 */
export interface CBundle {
  /** Translation units, sorted by path. */
  units: CBundleUnit[];
  /** Every file the units need — the units themselves and the local headers — sorted by path. */
  files: CBundleFile[];
  /** Libraries the program links against, as `-l` takes them (`m`), sorted, no duplicates. */
  libraries: string[];
}

export interface CBundleUnit {
  /** Relative path of a `.c` file of `files`. */
  path: string;
  /**
   * Its flags, paths relative to the root: `-I<dir>` (joined), `-iquote`/`-isystem`/
   * `-idirafter` `<dir>` and `-include` `<file>` (two arguments), `-D…`, `-U…`, `-std=…`.
   */
  args: string[];
}

export interface CBundleFile {
  path: string;
  bytes: Uint8Array;
}

/** The bundle format's tag; every encoded bundle starts with `{"bundle":"opm-c-bundle/1",`. */
export const C_BUNDLE_FORMAT = "opm-c-bundle/1";
const PREFIX = Buffer.from(`{"bundle":${JSON.stringify(C_BUNDLE_FORMAT)},`, "utf8");

const MAX_FILES = 20_000;
const MAX_PATH = 1024;
const MAX_ARGS = 1000;
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** True when `bytes` start like an encoded bundle (a C file cannot start with `{`); `decodeCBundle` still validates. */
export function isCBundle(bytes: Uint8Array): boolean {
  return bytes.length >= PREFIX.length && Buffer.from(bytes.subarray(0, PREFIX.length)).equals(PREFIX);
}

/**
 * The canonical bytes of a bundle: JSON with sorted keys and no whitespace, files and
 * units sorted by path, each file's contents as `text` when they are UTF-8, else as
 * `base64`. The same program gives the same bytes (and digest) on every machine.
 * Throws invalid_argument for a bundle `decodeCBundle` would refuse.
 */
export function encodeCBundle(bundle: CBundle): Uint8Array {
  const b = checkBundle(canonical(bundle));
  const files = b.files.map((f) => {
    const text = utf8Text(f.bytes);
    return text !== undefined ? { path: f.path, text } : { base64: Buffer.from(f.bytes).toString("base64"), path: f.path };
  });
  // Keys in ascending order by construction: JSON.stringify keeps insertion order.
  const units = b.units.map((u) => ({ args: u.args, path: u.path }));
  return Buffer.from(JSON.stringify({ bundle: C_BUNDLE_FORMAT, files, libraries: b.libraries, units }), "utf8");
}

/**
 * Reads and validates an encoded bundle, which may come from anyone: JSON of exactly the
 * canonical shape (`encodeCBundle(decodeCBundle(x))` is `x`), relative paths without
 * `.`/`..` segments, control characters, backslashes or a leading `-`, every unit a
 * `.c` file of the bundle, only the flags listed on `CBundleUnit.args`, library names
 * `-l` takes. Throws invalid_argument (field `input.bytes`) naming what is wrong.
 */
export function decodeCBundle(bytes: Uint8Array): CBundle {
  if (!isCBundle(bytes)) throw invalid(`the bytes do not start with ${PREFIX.toString("utf8")}`);
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch (err) {
    throw invalid(`not JSON: ${(err as Error).message}`);
  }
  const top = shape(raw, ["bundle", "files", "libraries", "units"], "the bundle");
  const files = array(top["files"], "files").map((entry, i): CBundleFile => {
    const where = `files[${i}]`;
    const keys = typeof entry === "object" && entry !== null && "base64" in entry ? ["base64", "path"] : ["path", "text"];
    const f = shape(entry, keys, where);
    const path = string(f["path"], `${where}.path`);
    if (f["text"] !== undefined) return { path, bytes: Buffer.from(string(f["text"], `${where}.text`), "utf8") };
    const base64 = string(f["base64"], `${where}.base64`);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 !== 0) throw invalid(`field \`${where}.base64\` is not base64`);
    return { path, bytes: Buffer.from(base64, "base64") };
  });
  const units = array(top["units"], "units").map((entry, i): CBundleUnit => {
    const u = shape(entry, ["args", "path"], `units[${i}]`);
    return { path: string(u["path"], `units[${i}].path`), args: array(u["args"], `units[${i}].args`).map((a, j) => string(a, `units[${i}].args[${j}]`)) };
  });
  const libraries = array(top["libraries"], "libraries").map((l, i) => string(l, `libraries[${i}]`));
  const bundle = checkBundle({ units, files, libraries });
  const again = Buffer.from(encodeCBundle(bundle));
  if (!again.equals(Buffer.from(bytes))) {
    let at = 0;
    while (at < again.length && again[at] === bytes[at]) at++;
    throw invalid(`not in canonical form (sorted keys and paths, no whitespace, text for UTF-8 contents): it differs from its canonical encoding at byte ${at}`);
  }
  return bundle;
}

export interface BundleProgramOptions {
  /** The folder the bundle's paths are relative to; default the deepest folder holding every unit and include path. */
  root?: string;
  /** The C compiler that lists each unit's headers (`-M`, `-MM`); default `cc`. */
  cc?: string;
  /** Time limit of one dependency scan; default 60 s. */
  timeoutMs?: number;
}

/**
 * Bundles a C program: its units with their flags made relative to the root, and every
 * header under the root that the compiler's own dependency scan (`cc -M`) reports for
 * some unit — headers in system folders stay out. Throws invalid_argument naming the
 * file for a non-C file, a unit, include path or local header (`cc -MM`) outside the
 * root, or a header that is a link leading out of it; compiler_failed with the
 * compiler's diagnostics when a unit does not preprocess.
 */
export async function bundleProgram(program: ProgramSource, options: BundleProgramOptions = {}): Promise<CBundle> {
  const other = program.files.find((f) => f.kind !== "c");
  if (other !== undefined) throw new OpmError("invalid_argument", `field \`files\`: a C bundle holds C translation units only, not ${other.kind} (\`${other.path}\`)`, { field: "files" });
  if (program.files.length === 0) throw new OpmError("invalid_argument", "field `files`: the program has no C file", { field: "files" });
  const root = resolve(options.root ?? commonFolder(program.files.flatMap((f) => [dirname(f.path), ...pathsOfFlags(f.args).map((p) => p.dir)])));
  if (root === sep) {
    throw new OpmError("invalid_argument", "field `files`: the program's files and include paths share no folder but `/`; a bundle ships only files under the program's root", { field: "files" });
  }
  const realRoot = realpathSync(root);
  const inside = (path: string): boolean => path === root || path.startsWith(root + sep);
  const contents = new Map<string, Uint8Array>();
  const take = async (path: string, what: string): Promise<void> => {
    const rel = relative(root, path).split(sep).join("/");
    if (contents.has(rel)) return;
    const real = realpathSync(path);
    if (real !== realRoot && !real.startsWith(realRoot + sep)) {
      throw new OpmError("invalid_argument", `field \`files\`: ${what} \`${path}\` leads out of the program's root \`${root}\` (to \`${real}\`)`, { field: "files" });
    }
    contents.set(rel, await readFile(path));
  };
  const cc = options.cc ?? "cc";
  const units: CBundleUnit[] = [];
  for (const file of program.files) {
    if (!inside(file.path)) throw new OpmError("invalid_argument", `field \`files\`: \`${file.path}\` is outside the program's root \`${root}\``, { field: "files" });
    const args = relativeFlags(file.args, root, file.path);
    const scan = async (flag: string): Promise<string[]> => {
      const r = await runTool(cc, [flag, "-MT", "opm", "-w", ...file.args, file.path], { cwd: dirname(file.path), timeoutMs: options.timeoutMs ?? 60_000 });
      if (r.exitCode !== 0) throw new OpmError("compiler_failed", `\`${cc} ${flag}\` could not read the headers of \`${file.path}\` (exit ${r.exitCode ?? r.signal})`, { detail: clipLog(r.stderr) });
      return parseMakeDependencies(r.stdout.toString("utf8")).map((p) => resolve(dirname(file.path), p));
    };
    const outside = (await scan("-MM")).find((p) => !inside(p));
    if (outside !== undefined) {
      throw new OpmError("invalid_argument", `field \`files\`: \`${file.path}\` includes \`${outside}\`, which is outside the program's root \`${root}\` and not a system header`, { field: "files" });
    }
    for (const dep of await scan("-M")) if (inside(dep)) await take(dep, `header of \`${file.path}\``);
    await take(file.path, "unit");
    units.push({ path: relative(root, file.path).split(sep).join("/"), args });
  }
  const files = [...contents].map(([path, bytes]) => ({ path, bytes }));
  return checkBundle(canonical({ units, files, libraries: program.libraries }));
}

/**
 * Writes the bundle's files under `dir` (which must be empty or absent; existing files are
 * never overwritten) and returns each unit as the compiler takes it from anywhere: its
 * absolute path and its flags with absolute paths. Validates the bundle first.
 */
export async function writeCBundle(bundle: CBundle, dir: string): Promise<Array<{ path: string; args: string[] }>> {
  checkBundle(bundle);
  const base = resolve(dir);
  for (const f of bundle.files) {
    const path = resolve(base, f.path);
    // Checked paths cannot escape; this guards against a bug in that check.
    if (!path.startsWith(base + sep)) throw new OpmError("internal", `bundle path \`${f.path}\` escapes \`${base}\``);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, f.bytes, { flag: "wx" });
  }
  return bundle.units.map((u) => ({
    path: join(base, u.path),
    args: u.args.map((a, i) => {
      if (a.startsWith("-I")) return `-I${join(base, a.slice(2))}`;
      return i > 0 && SPLIT_PATH_FLAGS.has(u.args[i - 1]!) ? join(base, a) : a;
    }),
  }));
}

/** The file names of a make rule as `cc -M -MT opm` prints it (`\ `, `\#`, `$$` unescaped). */
export function parseMakeDependencies(text: string): string[] {
  const body = text.replace(/\\\r?\n/g, " ").replace(/^\s*opm:/, "");
  const out: string[] = [];
  let word = "";
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === "\\" && (body[i + 1] === " " || body[i + 1] === "#")) word += body[++i];
    else if (c === "$" && body[i + 1] === "$") word += body[++i];
    else if (/\s/.test(c)) {
      if (word !== "") out.push(word);
      word = "";
    } else word += c;
  }
  if (word !== "") out.push(word);
  return out;
}

function canonical(b: CBundle): CBundle {
  const byPath = <T extends { path: string }>(a: T, c: T): number => (a.path < c.path ? -1 : a.path > c.path ? 1 : 0);
  return { units: [...b.units].sort(byPath), files: [...b.files].sort(byPath), libraries: [...new Set(b.libraries)].sort() };
}

/** The absolute paths a unit's flags name, each with the folder it adds to the root. */
function pathsOfFlags(args: readonly string[]): Array<{ flag: string; path: string; dir: string }> {
  const out: Array<{ flag: string; path: string; dir: string }> = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith("-I") && a.length > 2) out.push({ flag: "-I", path: a.slice(2), dir: a.slice(2) });
    else if (SPLIT_PATH_FLAGS.has(a) && i + 1 < args.length) {
      const path = args[++i]!;
      out.push({ flag: a, path, dir: a === "-include" ? dirname(path) : path });
    }
  }
  return out;
}

/** A ProgramSource file's flags with paths made relative to `root`; a path outside it is invalid_argument. */
function relativeFlags(args: readonly string[], root: string, file: string): string[] {
  const out: string[] = [];
  const rel = (flag: string, path: string): string => {
    const abs = resolve(path);
    if (!isAbsolute(path) || (abs !== root && !abs.startsWith(root + sep))) {
      throw new OpmError("invalid_argument", `field \`files\`: \`${file}\`: \`${flag} ${path}\` is not an absolute path under the program's root \`${root}\``, { field: "files" });
    }
    return abs === root ? "." : relative(root, abs).split(sep).join("/");
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith("-I")) out.push(`-I${rel("-I", a.length > 2 ? a.slice(2) : args[++i] ?? "")}`);
    else if (SPLIT_PATH_FLAGS.has(a)) out.push(a, rel(a, args[++i] ?? ""));
    else if ((a === "-D" || a === "-U") && i + 1 < args.length) out.push(`${a}${args[++i]}`);
    else if (/^-[DU]./.test(a) || a.startsWith("-std=")) out.push(a);
    else throw new OpmError("invalid_argument", `field \`files\`: \`${file}\`: a C bundle keeps only -I, -iquote, -isystem, -idirafter, -include, -D, -U and -std= flags, not \`${a}\``, { field: "files" });
  }
  return out;
}

function commonFolder(paths: readonly string[]): string {
  const split = paths.map((p) => resolve(p).split(sep));
  const first = split[0]!;
  let n = first.length;
  for (const s of split) {
    let i = 0;
    while (i < n && i < s.length && s[i] === first[i]) i++;
    n = i;
  }
  return first.slice(0, n).join(sep) || sep;
}

/** Checks every rule of `decodeCBundle` but canonical form; returns `b`. */
function checkBundle(b: CBundle): CBundle {
  if (b.files.length > MAX_FILES) throw invalid(`${b.files.length} files, more than ${MAX_FILES}`);
  const files = new Set<string>();
  for (const [i, f] of b.files.entries()) {
    checkPath(f.path, `files[${i}].path`);
    if (files.has(f.path)) throw invalid(`field \`files[${i}].path\`: \`${f.path}\` is listed twice`);
    files.add(f.path);
  }
  for (const [i, f] of b.files.entries()) {
    const parts = f.path.split("/");
    for (let n = 1; n < parts.length; n++) {
      const folder = parts.slice(0, n).join("/");
      if (files.has(folder)) throw invalid(`field \`files[${i}].path\`: \`${f.path}\` lies under \`${folder}\`, which is a file`);
    }
  }
  if (b.units.length === 0) throw invalid("field `units`: no translation unit");
  const units = new Set<string>();
  for (const [i, u] of b.units.entries()) {
    const where = `units[${i}]`;
    checkPath(u.path, `${where}.path`);
    if (!u.path.endsWith(".c")) throw invalid(`field \`${where}.path\`: \`${u.path}\` is not a .c file`);
    if (!files.has(u.path)) throw invalid(`field \`${where}.path\`: \`${u.path}\` is not one of the bundle's files`);
    if (units.has(u.path)) throw invalid(`field \`${where}.path\`: \`${u.path}\` is listed twice`);
    units.add(u.path);
    if (u.args.length > MAX_ARGS) throw invalid(`field \`${where}.args\`: ${u.args.length} flags, more than ${MAX_ARGS}`);
    for (let j = 0; j < u.args.length; j++) {
      const a = u.args[j]!;
      const at = `${where}.args[${j}]`;
      if (/[\x00-\x1f\x7f]/.test(a)) throw invalid(`field \`${at}\`: control character in ${JSON.stringify(a)}`);
      if (a.startsWith("-I")) checkPath(a.slice(2), at, true);
      else if (SPLIT_PATH_FLAGS.has(a)) {
        const value = u.args[++j];
        if (value === undefined) throw invalid(`field \`${at}\`: \`${a}\` has no value`);
        checkPath(value, `${where}.args[${j}]`, a !== "-include");
        if (a === "-include" && !files.has(value)) throw invalid(`field \`${where}.args[${j}]\`: \`-include ${value}\` names no file of the bundle`);
      } else if (!/^-[DU][A-Za-z_]/.test(a) && !/^-std=[A-Za-z0-9+]{1,32}$/.test(a)) {
        throw invalid(`field \`${at}\`: \`${a}\` is not a flag a bundle may carry (-I, -iquote, -isystem, -idirafter, -include, -D, -U, -std=)`);
      }
    }
  }
  for (const [i, l] of b.libraries.entries()) {
    if (!LIBRARY_NAME.test(l)) throw invalid(`field \`libraries[${i}]\`: ${JSON.stringify(l)} is not a library name \`-l\` takes`);
  }
  return b;
}

/** A relative path inside the bundle: no absolute path, `.`/`..` or empty segment, control character, backslash or leading `-`. */
function checkPath(path: string, field: string, folder = false): void {
  if (folder && path === ".") return;
  const why = path === "" ? "is empty"
    : path.length > MAX_PATH ? `is longer than ${MAX_PATH} characters`
      : path.startsWith("/") ? "is absolute"
        : /[\x00-\x1f\x7f\\]/.test(path) ? "has a control character or backslash"
          : path.split("/").some((s) => s === "" || s === "." || s === "..") ? "has an empty, `.` or `..` segment"
            : path.split("/").some((s) => s.startsWith("-")) ? "has a segment starting with `-`"
              : undefined;
  if (why !== undefined) throw invalid(`field \`${field}\`: path ${JSON.stringify(path.slice(0, 200))} ${why}`);
}

function utf8Text(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

function shape(value: unknown, keys: readonly string[], where: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalid(`${where} is not an object`);
  const got = Object.keys(value).sort();
  if (got.join(",") !== keys.join(",")) throw invalid(`${where} has fields ${got.join(", ") || "none"}; expected ${keys.join(", ")}`);
  return value as Record<string, unknown>;
}

function array(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) throw invalid(`field \`${field}\` is not an array`);
  return value;
}

function string(value: unknown, field: string): string {
  if (typeof value !== "string") throw invalid(`field \`${field}\` is not a string`);
  return value;
}

function invalid(message: string): OpmError {
  return new OpmError("invalid_argument", `C bundle: ${message}`, { field: "input.bytes" });
}
