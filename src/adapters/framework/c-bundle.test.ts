import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { rejection } from "../../../test/support/rejection.js";
import { bundleProgram, decodeCBundle, encodeCBundle, isCBundle, parseMakeDependencies, writeCBundle, type CBundle } from "./c-bundle.js";
import { readProgramSource, type ProgramSource } from "./program-source.js";

const dir = mkdtempSync(join(tmpdir(), "opm-c-bundle-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(root: string, files: Record<string, string | Buffer>): string {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

/** src/main.c and src/util.c, a local header next to them, a -I folder with a nested include, a -include file, an unused header. */
const PROGRAM = {
  "src/main.c": '#include <stdio.h>\n#include "util.h"\n#include <api.h>\nint main(void) { printf("%d\\n", twice(SCALE) + api()); return 0; }\n',
  "src/util.c": '#include "util.h"\nint twice(int x) { return 2 * x; }\n',
  "src/util.h": "int twice(int x);\n",
  "include/api.h": '#include "detail/inner.h"\nstatic inline int api(void) { return INNER; }\n',
  "include/detail/inner.h": "#define INNER 7\n",
  "include/unused.h": "#error never included\n",
  "config/prelude.h": "#define PRELUDE 1\n",
  "README": "not part of the program\n",
};

function programAt(root: string): ProgramSource {
  const args = [`-I${join(root, "include")}`, "-DSCALE=21", "-include", join(root, "config/prelude.h"), "-std=c11"];
  return { files: ["src/main.c", "src/util.c"].map((p) => ({ path: join(root, p), kind: "c" as const, args })), libraries: ["m"] };
}

const hello = (extra: Partial<CBundle> = {}): CBundle => ({
  units: [{ path: "a.c", args: [] }],
  files: [{ path: "a.c", bytes: Buffer.from("int main(void) { return 0; }\n") }],
  libraries: [],
  ...extra,
});

describe("bundleProgram", () => {
  const root = write(join(dir, "one", "proj"), PROGRAM);

  it("takes the units, exactly the local headers they include and relative flags", async () => {
    const b = await bundleProgram(programAt(root));
    expect(b.units).toEqual([
      { path: "src/main.c", args: ["-Iinclude", "-DSCALE=21", "-include", "config/prelude.h", "-std=c11"] },
      { path: "src/util.c", args: ["-Iinclude", "-DSCALE=21", "-include", "config/prelude.h", "-std=c11"] },
    ]);
    expect(b.files.map((f) => f.path)).toEqual(["config/prelude.h", "include/api.h", "include/detail/inner.h", "src/main.c", "src/util.c", "src/util.h"]);
    expect(b.libraries).toEqual(["m"]);
    expect(Buffer.from(b.files[3]!.bytes).toString()).toBe(PROGRAM["src/main.c"]);
  });

  it("gives the same bytes for the same program anywhere, in any order", async () => {
    const elsewhere = join(dir, "two", "deeper", "proj");
    mkdirSync(dirname(elsewhere), { recursive: true });
    cpSync(root, elsewhere, { recursive: true });
    const a = encodeCBundle(await bundleProgram(programAt(root)));
    const reversed = programAt(elsewhere);
    reversed.files.reverse();
    const b = encodeCBundle(await bundleProgram(reversed));
    expect(Buffer.from(b).equals(Buffer.from(a))).toBe(true);
    expect(isCBundle(a)).toBe(true);
    expect(Buffer.from(a).toString("utf8")).toMatch(/^\{"bundle":"opm-c-bundle\/1","files":\[\{"path":"config\/prelude\.h","text":"#define PRELUDE 1\\n"\}/);
  });

  it("reads a directory through readProgramSource and builds what it wrote", async () => {
    const program = readProgramSource([root], { libraries: ["m"], cflags: ["-DSCALE=21", "-include", join(root, "config/prelude.h")] });
    const b = await bundleProgram(program);
    const out = join(dir, "built");
    const units = await writeCBundle(decodeCBundle(encodeCBundle(b)), out);
    expect(units.map((u) => u.path)).toEqual([join(out, "src/main.c"), join(out, "src/util.c")]);
    const objects = units.map((u, i) => {
      const o = join(out, `${i}.o`);
      execFileSync("cc", [...u.args, "-c", u.path, "-o", o]);
      return o;
    });
    execFileSync("cc", [...objects, "-o", join(out, "program")]);
    expect(execFileSync(join(out, "program"), { encoding: "utf8" })).toBe("49\n");
  });

  it("refuses non-C files, headers and include paths outside the root, links leading out of it", async () => {
    const other = write(join(dir, "outside"), { "x.h": "#define X 1\n" });
    const proj = write(join(dir, "escape", "proj"), { "a.c": '#include "../../outside/x.h"\nint main(void) { return X; }\n', "b.c": '#include "link.h"\nint b(void) { return X; }\n' });
    symlinkSync(join(other, "x.h"), join(proj, "link.h"));
    const file = (name: string, args: string[] = []) => ({ path: join(proj, name), kind: "c" as const, args });
    let e = await rejection(bundleProgram({ files: [file("a.c")], libraries: [] }));
    expect(e.code).toBe("invalid_argument");
    expect(e.message).toMatch(/a\.c` includes `.*outside\/x\.h`, which is outside the program's root/);
    e = await rejection(bundleProgram({ files: [file("b.c")], libraries: [] }));
    expect(e.message).toMatch(/link\.h` leads out of the program's root .* \(to `.*outside\/x\.h`\)/);
    e = await rejection(bundleProgram({ files: [file("b.c", [`-I${other}`])], libraries: [] }, { root: proj }));
    expect(e.message).toMatch(/`-I .*outside` is not an absolute path under the program's root/);
    e = await rejection(bundleProgram({ files: [{ path: join(proj, "x.ll"), kind: "llvm-ir", args: [] }], libraries: [] }));
    expect(e.message).toMatch(/C translation units only, not llvm-ir \(`.*x\.ll`\)/);
    e = await rejection(bundleProgram({ files: [file("b.c", ["-fplugin=evil.so"])], libraries: [] }));
    expect(e.message).toMatch(/keeps only -I, .* not `-fplugin=evil\.so`/);
    const broken = write(join(dir, "broken"), { "a.c": '#include "missing.h"\n' });
    e = await rejection(bundleProgram({ files: [{ path: join(broken, "a.c"), kind: "c", args: [] }], libraries: [] }));
    expect(e.code).toBe("compiler_failed");
    expect(e.detail).toContain("missing.h");
  });
});

describe("encodeCBundle / decodeCBundle", () => {
  it("round-trips text and binary contents, canonically", () => {
    const latin1 = Buffer.from([0x2f, 0x2a, 0xe9, 0x2a, 0x2f, 0x0a]); // "/*é*/" in Latin-1: not UTF-8
    const b: CBundle = {
      units: [{ path: "z/b.c", args: ["-I.", "-DX=\"a b\""] }, { path: "a.c", args: ["-UY", "-iquote", "z"] }],
      files: [{ path: "z/b.c", bytes: latin1 }, { path: "a.c", bytes: Buffer.from("\ufeffint x;\n") }],
      libraries: ["z", "m", "m"],
    };
    const bytes = encodeCBundle(b);
    const back = decodeCBundle(bytes);
    expect(back.units.map((u) => u.path)).toEqual(["a.c", "z/b.c"]);
    expect(back.libraries).toEqual(["m", "z"]);
    expect(Buffer.from(back.files[1]!.bytes).equals(latin1)).toBe(true);
    expect(Buffer.from(back.files[0]!.bytes).toString("utf8")).toBe("\ufeffint x;\n"); // the BOM is kept
    expect(Buffer.from(encodeCBundle(back)).equals(Buffer.from(bytes))).toBe(true);
    expect(Buffer.from(bytes).toString()).toContain('{"base64":"LyrpKi8K","path":"z/b.c"}');
  });

  /** The canonical JSON of `hello()` with `edit` applied to the parsed object. */
  const hostile = (edit: (j: any) => void): Uint8Array => {
    const j = JSON.parse(Buffer.from(encodeCBundle(hello())).toString());
    edit(j);
    return Buffer.from(JSON.stringify(j));
  };

  it.each([
    ["absolute-path", (j: any) => { j.files[0].path = "/etc/passwd"; }, /files\[0\]\.path`: path "\/etc\/passwd" is absolute/],
    ["dotdot-escape", (j: any) => { j.files.unshift({ path: "../../x.h", text: "" }); }, /files\[0\]\.path`: path "\.\.\/\.\.\/x\.h" has an empty, `\.` or `\.\.` segment/],
    ["dotdot-inside", (j: any) => { j.files.unshift({ path: "a/../a.c", text: "" }); }, /`\.\.` segment/],
    ["dot-segment", (j: any) => { j.files.unshift({ path: "./a.c", text: "" }); }, /`\.` or `\.\.` segment/],
    ["empty-segment", (j: any) => { j.files.unshift({ path: "a//b.h", text: "" }); }, /empty/],
    ["dash-segment", (j: any) => { j.files.unshift({ path: "-fplugin=x.c", text: "" }); }, /segment starting with `-`/],
    ["backslash", (j: any) => { j.files.unshift({ path: "..\\x.h", text: "" }); }, /control character or backslash/],
    ["nul-in-path", (j: any) => { j.files.unshift({ path: "a\u0000.h", text: "" }); }, /control character/],
    ["duplicate-file", (j: any) => { j.files.push({ ...j.files[0] }); }, /listed twice/],
    ["file-under-file", (j: any) => { j.files.push({ path: "a.c/x.h", text: "" }); }, /lies under `a\.c`, which is a file/],
    ["unit-not-a-file", (j: any) => { j.units[0].path = "b.c"; }, /units\[0\]\.path`: `b\.c` is not one of the bundle's files/],
    ["unit-not-c", (j: any) => { j.files.push({ path: "b.h", text: "" }); j.units[0].path = "b.h"; }, /not a \.c file/],
    ["no-units", (j: any) => { j.units = []; }, /no translation unit/],
    ["plugin-flag", (j: any) => { j.units[0].args = ["-fplugin=/tmp/evil.so"]; }, /args\[0\]`: `-fplugin=\/tmp\/evil\.so` is not a flag a bundle may carry/],
    ["output-flag", (j: any) => { j.units[0].args = ["-o", "/etc/x"]; }, /`-o` is not a flag/],
    ["response-file", (j: any) => { j.units[0].args = ["@/etc/passwd"]; }, /`@\/etc\/passwd` is not a flag/],
    ["absolute-include", (j: any) => { j.units[0].args = ["-I/usr/include"]; }, /args\[0\]`: path "\/usr\/include" is absolute/],
    ["escaping-include", (j: any) => { j.units[0].args = ["-isystem", "../x"]; }, /args\[1\]`: path "\.\.\/x"/],
    ["include-missing-file", (j: any) => { j.units[0].args = ["-include", "nope.h"]; }, /`-include nope\.h` names no file of the bundle/],
    ["include-no-value", (j: any) => { j.units[0].args = ["-include"]; }, /`-include` has no value/],
    ["bad-std", (j: any) => { j.units[0].args = ["-std=c11 -fplugin=x"]; }, /not a flag a bundle may carry/],
    ["newline-in-define", (j: any) => { j.units[0].args = ["-DX=1\n#include </etc/passwd>"]; }, /control character/],
    ["bad-library", (j: any) => { j.libraries = ["../evil"]; }, /libraries\[0\]`: "\.\.\/evil" is not a library name/],
    ["dash-library", (j: any) => { j.libraries = ["-wrapper"]; }, /not a library name/],
    ["unknown-field", (j: any) => { j.extra = 1; }, /the bundle has fields bundle, extra, files, libraries, units/],
    ["file-both-contents", (j: any) => { j.files[0].base64 = ""; }, /files\[0\] has fields base64, path, text; expected base64, path/],
    ["number-path", (j: any) => { j.files[0].path = 7; }, /files\[0\]\.path` is not a string/],
    ["args-not-array", (j: any) => { j.units[0].args = "-DX"; }, /units\[0\]\.args` is not an array/],
    ["bad-base64", (j: any) => { j.files[0] = { base64: "!!!!", path: "a.c" }; }, /files\[0\]\.base64` is not base64/],
    ["base64-for-text", (j: any) => { j.files[0] = { base64: Buffer.from("int main;").toString("base64"), path: "a.c" }; }, /not in canonical form/],
    ["unsorted-files", (j: any) => { j.files.push({ path: "0.h", text: "" }); }, /not in canonical form/],
    ["wrong-format", (j: any) => { j.bundle = "opm-c-bundle/2"; }, /do not start with \{"bundle":"opm-c-bundle\/1",/],
  ])("refuses %s", (_name, edit, message) => {
    const e = (() => {
      try {
        decodeCBundle(hostile(edit));
      } catch (err) {
        return err as { code: string; message: string; field: string };
      }
      throw new Error("accepted");
    })();
    expect(e.code).toBe("invalid_argument");
    expect(e.field).toBe("input.bytes");
    expect(e.message).toMatch(message);
  });

  it("refuses bytes that are not canonical JSON: whitespace, key order, garbage, truncation", () => {
    const good = Buffer.from(encodeCBundle(hello())).toString();
    const bad = (text: string): string => {
      try {
        decodeCBundle(Buffer.from(text));
      } catch (err) {
        return (err as Error).message;
      }
      return "accepted";
    };
    expect(bad(good)).toBe("accepted");
    expect(bad(`${good}\n`)).toMatch(/not in canonical form .* at byte \d+/);
    expect(bad(good.replace('"files":', '"files" :'))).toMatch(/not in canonical form/);
    expect(bad(good.replace('{"args":[],"path":"a.c"}', '{"path":"a.c","args":[]}'))).toMatch(/not in canonical form/);
    expect(bad(good.slice(0, -3))).toMatch(/not JSON/);
    expect(bad(`${good}{}`)).toMatch(/not JSON/);
    expect(bad("int main(void) { return 0; }")).toMatch(/do not start with/);
    expect(bad("")).toMatch(/do not start with/);
  });

  it("encodeCBundle refuses what decodeCBundle would", () => {
    expect(() => encodeCBundle(hello({ files: [{ path: "/abs.c", bytes: Buffer.alloc(0) }] }))).toThrow(/is absolute/);
  });

  it("writeCBundle never writes outside its folder and never overwrites", async () => {
    await expect(writeCBundle(hello({ files: [{ path: "../a.c", bytes: Buffer.alloc(0) }], units: [{ path: "../a.c", args: [] }] }), join(dir, "w1"))).rejects.toThrow(/`\.\.` segment/);
    const out = join(dir, "w2");
    write(out, { "a.c": "old" });
    await expect(writeCBundle(hello(), out)).rejects.toThrow(/EEXIST/);
    expect(readFileSync(join(out, "a.c"), "utf8")).toBe("old");
  });
});

describe("parseMakeDependencies", () => {
  it("reads continuations and escaped spaces, # and $", () => {
    expect(parseMakeDependencies("opm: a.c my\\ dir/b.h \\\n  c\\#1.h d$$.h\n")).toEqual(["a.c", "my dir/b.h", "c#1.h", "d$.h"]);
  });
});
