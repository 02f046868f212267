import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rejection } from "../../../test/support/rejection.js";
import { readProgramSource, splitCommand } from "./program-source.js";

let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "opm-program-source-"));
  mkdirSync(join(root, "proj", "src"), { recursive: true });
  mkdirSync(join(root, "proj", "include", "deep"), { recursive: true });
  mkdirSync(join(root, "proj", ".git"));
  mkdirSync(join(root, "proj", "build"));
  writeFileSync(join(root, "proj", "src", "main.c"), "int main(void) { return 0; }\n");
  writeFileSync(join(root, "proj", "src", "util.c"), "int util(void) { return 1; }\n");
  writeFileSync(join(root, "proj", "include", "util.h"), "int util(void);\n");
  writeFileSync(join(root, "proj", "include", "deep", "more.h"), "\n");
  writeFileSync(join(root, "proj", ".git", "hook.c"), "\n");
  writeFileSync(join(root, "proj", "build", "generated.c"), "\n");
  writeFileSync(join(root, "module.ll"), "; empty\n");
  writeFileSync(join(root, "notes.txt"), "\n");
  mkdirSync(join(root, "empty"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("readProgramSource", () => {
  it("reads a directory: every .c outside VCS and build folders, -I for each folder holding a header", () => {
    const p = readProgramSource([join(root, "proj")], { libraries: ["m"], cflags: ["-DNDEBUG", "-O3", "-Wall"] });
    const includes = [`-I${join(root, "proj", "include")}`, `-I${join(root, "proj", "include", "deep")}`];
    expect(p.files).toEqual([
      { path: join(root, "proj", "src", "main.c"), kind: "c", args: [...includes, "-DNDEBUG"] },
      { path: join(root, "proj", "src", "util.c"), kind: "c", args: [...includes, "-DNDEBUG"] },
    ]);
    expect(p.libraries).toEqual(["m"]);
  });

  it("reads a compile_commands.json: each file with its own -I/-D/-std, paths against `directory`, -l into the libraries", () => {
    const db = join(root, "proj", "compile_commands.json");
    writeFileSync(db, JSON.stringify([
      { directory: ".", file: "src/main.c", arguments: ["cc", "-Iinclude", "-D", "A=1", "-std=c99", "-O2", "-g", "-c", "src/main.c", "-o", "main.o"] },
      { directory: join(root, "proj"), file: "src/util.c", command: "gcc -I include/deep -DB='x y' -UC -include include/util.h -c src/util.c -lm -o util.o" },
    ]));
    const p = readProgramSource([db], { libraries: ["z"] });
    expect(p.files).toEqual([
      { path: join(root, "proj", "src", "main.c"), kind: "c", args: [`-I${join(root, "proj", "include")}`, "-DA=1", "-std=c99"] },
      { path: join(root, "proj", "src", "util.c"), kind: "c", args: [`-I${join(root, "proj", "include", "deep")}`, "-DB=x y", "-UC", "-include", join(root, "proj", "include", "util.h")] },
    ]);
    expect(p.libraries).toEqual(["m", "z"]);
    // A directory with a compile database at its top is read through it.
    expect(readProgramSource([join(root, "proj")]).files[0]!.args).toContain("-std=c99");
    rmSync(db);
  });

  it("takes IR and single files as they are, once each", () => {
    const p = readProgramSource([join(root, "module.ll"), "module.ll"], { cwd: root });
    expect(p.files).toEqual([{ path: join(root, "module.ll"), kind: "llvm-ir", args: [] }]);
  });

  it("refuses what is not a program with an error naming it, and nothing is half-read", async () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /no program given/],
      [[join(root, "missing.c")], /missing\.c` does not exist/],
      [[join(root, "notes.txt")], /notes\.txt`: not a program file/],
      [[join(root, "empty")], /holds no \.c file/],
    ];
    for (const [paths, message] of cases) {
      const e = await rejection(Promise.resolve().then(() => readProgramSource(paths)));
      expect(e.code).toBe("invalid_argument");
      expect(e.message).toMatch(message);
    }
    const badLib = await rejection(Promise.resolve().then(() => readProgramSource([join(root, "module.ll")], { libraries: ["m; rm -rf /"] })));
    expect(badLib.message).toMatch(/is not a library name `-l` takes/);
  });

  it("refuses a malformed compile database, naming the entry and field", async () => {
    const db = join(root, "bad", "compile_commands.json");
    mkdirSync(join(root, "bad"), { recursive: true });
    const cases: Array<[string, RegExp]> = [
      ["{", /is not JSON/],
      ["{}", /not a JSON array/],
      ["[]", /lists no translation unit/],
      [JSON.stringify([{ file: "a.c", arguments: [] }]), /entry 0: field `directory`/],
      [JSON.stringify([{ directory: ".", file: "a.cpp", arguments: ["c++", "a.cpp"] }]), /entry 0: field `file`: `a\.cpp` is not C/],
      [JSON.stringify([{ directory: ".", file: "a.c" }]), /entry 0: field `arguments`/],
      [JSON.stringify([{ directory: ".", file: "gone.c", arguments: ["cc", "gone.c"] }]), /gone\.c` does not exist/],
      [JSON.stringify([{ directory: join(root, "proj"), file: "src/main.c", command: "cc 'unterminated" }]), /unterminated single quote/],
    ];
    for (const [text, message] of cases) {
      writeFileSync(db, text);
      const e = await rejection(Promise.resolve().then(() => readProgramSource([db])));
      expect(e.code).toBe("invalid_argument");
      expect(e.message).toMatch(message);
    }
  });
});

describe("splitCommand", () => {
  it("splits as a POSIX shell does, without expansions", () => {
    expect(splitCommand(`cc -DX="a b" -DY='c d' e\\ f "g\\"h" '$HOME'`)).toEqual(["cc", "-DX=a b", "-DY=c d", "e f", 'g"h', "$HOME"]);
  });
});
