import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

/** What scripts/check-layers.mjs exports (plain JS, so typed here). */
interface Finding {
  rule: "floor" | "compiler-independent" | "compiler-to-compiler" | "compiler-switch" | "src-imports-dev" | "unresolved" | "no-floor";
  from: string;
  to?: string;
  line: number;
  message: string;
}
interface CheckLayers {
  checkLayers(root: string): { violations: string[]; findings: Finding[]; files: number; edges: number };
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
// Imported by URL so TypeScript does not look for declarations of the .mjs file.
const scriptUrl = pathToFileURL(join(repoRoot, "scripts", "check-layers.mjs")).href;
const { checkLayers } = (await import(scriptUrl)) as CheckLayers;

describe("the real tree", () => {
  it("has no import going up a floor, no compiler folder reached from compiler-independent code, no compiler switch outside its adapter", () => {
    const result = checkLayers(repoRoot);
    expect(result.files).toBeGreaterThan(100);
    expect(result.violations, `layer violations:\n${result.violations.join("\n")}\n`).toEqual([]);
  });
});

describe("checkLayers", () => {
  let root: string | undefined;
  afterEach(() => {
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
    root = undefined;
  });

  /** A fixture tree: a minimal floor layout plus `files` (path → source). */
  function tree(files: Record<string, string>): string {
    root = mkdtempSync(join(tmpdir(), "opm-layers-"));
    const base: Record<string, string> = {
      "src/kernel/errors/index.ts": "export const E = 1;\n",
      "src/ledger/index.ts": 'import { E } from "../kernel/errors/index.js";\nexport const L = E;\n',
      "src/adapters/framework/toolchain.ts": "export interface Toolchain { name: string }\n",
      "src/adapters/verifier/index.ts": "export const V = 1;\n",
      "src/adapters/llvm/index.ts": "export const LLVM = 1;\n",
      "src/adapters/gcc/index.ts": "export const GCC = 1;\n",
      "src/adapters/cranelift/index.ts": "export const CL = 1;\n",
      "src/server/registry/index.ts": "export const R = 1;\n",
      "src/client/orchestrator/index.ts": "export const O = 1;\n",
      "src/cli/main.ts": "export const M = 1;\n",
      "test/support/helper.ts": "export const H = 1;\n",
    };
    for (const [path, text] of Object.entries({ ...base, ...files })) {
      const abs = join(root, path);
      mkdirSync(dirname(abs), { recursive: true });
      writeFileSync(abs, text);
    }
    return root;
  }

  const rulesOf = (r: ReturnType<CheckLayers["checkLayers"]>) => r.findings.map((f) => f.rule);

  it("passes a tree whose imports all go down or sideways", () => {
    const r = checkLayers(tree({
      "src/server/registry/contracts.ts": [
        'import { E } from "../../kernel/errors/index.js";',
        'import { L } from "../../ledger/index.js";',
        'import { V } from "../../adapters/verifier/index.js";',
        'export { R } from "./index.js";',
        "export const X = E + L + V;",
      ].join("\n"),
      "src/cli/commands/serve.ts": 'import { R } from "../../server/registry/index.js";\nimport { O } from "../../client/orchestrator/index.js";\nexport const S = R + O;\n',
      "src/adapters/llvm/llvm-toolchain.ts": 'import { V } from "../verifier/index.js";\nimport type { CompilerKind } from "../framework/toolchain.js";\nexport const k: CompilerKind = "llvm";\n',
    }));
    expect(r.violations).toEqual([]);
    expect(r.edges).toBe(9);
  });

  it("catches a lower floor importing a higher one, with static, re-export, type-only and dynamic imports", () => {
    const r = checkLayers(tree({
      "src/kernel/plan/plan.ts": 'import type { R } from "../../server/registry/index.js";\nexport type P = typeof R;\n',
      "src/ledger/a.ts": 'export { O } from "../client/orchestrator/index.js";\n',
      "src/adapters/framework/catalog.ts": 'export async function f() { return (await import("../../server/registry/index.js")).R; }\n',
      "src/client/orchestrator/optimize.ts": 'import {\n  R,\n} from "../../server/registry/index.js";\nexport const Q = R;\n',
    }));
    expect(r.violations).toEqual([
      "src/adapters/framework/catalog.ts imports src/server/registry/index.ts: floor adapters may not import floor server",
      "src/client/orchestrator/optimize.ts imports src/server/registry/index.ts: floor client may not import floor server",
      "src/kernel/plan/plan.ts imports src/server/registry/index.ts: floor kernel may not import floor server",
      "src/ledger/a.ts imports src/client/orchestrator/index.ts: floor ledger may not import floor client",
    ]);
  });

  it("ignores import-like text in comments, strings and templates", () => {
    const r = checkLayers(tree({
      "src/kernel/a.ts": [
        '// import { R } from "../server/registry/index.js";',
        '/* export * from "../server/registry/index.js"; */',
        'export const s = \'import("../server/registry/index.js")\';',
        "export const t = `from \"../server/registry/index.js\" ${s} import(\"../cli/main.js\")`;",
        "export const re = /import\\(\"..\\/cli\\/main.js\"\\)/;",
      ].join("\n"),
    }));
    expect(r.violations).toEqual([]);
  });

  it("catches framework or verifier importing a compiler folder, but not the toolchain list", () => {
    const r = checkLayers(tree({
      "src/adapters/framework/verify-evaluation.ts": 'import { CL } from "../cranelift/index.js";\nexport const x = CL;\n',
      "src/adapters/verifier/verify-transform.ts": 'import { LLVM } from "../llvm/index.js";\nexport const y = LLVM;\n',
      "src/adapters/framework/toolchains.ts": 'import { GCC } from "../gcc/index.js";\nimport { LLVM } from "../llvm/index.js";\nexport const t = [GCC, LLVM];\nexport const c = () => import("../cranelift/index.js");\n',
    }));
    expect(rulesOf(r)).toEqual(["compiler-independent", "compiler-independent"]);
    expect(r.violations[0]).toBe(
      "src/adapters/framework/verify-evaluation.ts imports src/adapters/cranelift/index.ts: src/adapters/framework is compiler-independent and may not import compiler folder src/adapters/cranelift (only src/adapters/framework/toolchains.ts may)",
    );
    expect(r.violations[1]).toMatch(/^src\/adapters\/verifier\/verify-transform\.ts imports src\/adapters\/llvm\/index\.ts: /);
  });

  it("allows gcc → llvm and nothing else between compiler folders; a new compiler folder counts", () => {
    const r = checkLayers(tree({
      "src/adapters/gcc/features.ts": 'import { LLVM } from "../llvm/index.js";\nexport const f = LLVM;\n',
      "src/adapters/llvm/x.ts": 'import { GCC } from "../gcc/index.js";\nexport const x = GCC;\n',
      "src/adapters/rustc/index.ts": 'import { CL } from "../cranelift/index.js";\nexport const y = CL;\n',
    }));
    expect(r.violations).toEqual([
      "src/adapters/llvm/x.ts imports src/adapters/gcc/index.ts: compiler folder src/adapters/llvm may not import compiler folder src/adapters/gcc",
      "src/adapters/rustc/index.ts imports src/adapters/cranelift/index.ts: compiler folder src/adapters/rustc may not import compiler folder src/adapters/cranelift",
    ]);
  });

  it("catches a compiler switch outside the compiler's folder, not in comments, tests or the allowed files", () => {
    const r = checkLayers(tree({
      "src/client/orchestrator/search-space.ts": [
        "// if the compiler is \"gcc\" we…",
        'export function f(c: string) { if (c === "gcc") return 1; return c === \'cranelift\' ? 2 : 3; }',
        'export const msg = `unknown ${"llvm-ir"} compiler`;',
        "export const table = { gcc: 1 }; export const g = table.gcc; export const t = (llvm: boolean) => llvm ? 1 : 2;",
      ].join("\n"),
      "src/client/orchestrator/search-space.test.ts": 'export const t = "gcc";\n',
      "src/adapters/gcc/gcc-toolchain.ts": 'export const kind = "gcc";\n',
      "src/adapters/gcc/gcc-x.ts": 'export const other = "llvm";\n',
      "src/ledger/testdata/fixtures.ts": 'export const compiler = "llvm";\n',
      "src/adapters/framework/toolchains.ts": 'export const names = ["llvm", "gcc", "cranelift"];\n',
    }));
    expect(r.findings.map((f) => `${f.rule} ${f.from}:${f.line}`)).toEqual([
      "compiler-switch src/adapters/gcc/gcc-x.ts:1",
      "compiler-switch src/client/orchestrator/search-space.ts:2",
      "compiler-switch src/client/orchestrator/search-space.ts:2",
      "compiler-switch src/client/orchestrator/search-space.ts:4",
    ]);
    expect(r.violations[1]).toBe(
      'src/client/orchestrator/search-space.ts:2: compiler name "cranelift" outside src/adapters/cranelift/ (a compiler switch belongs in its adapter or src/adapters/framework/toolchains.ts)',
    );
  });

  it("catches shipped src importing test/ or bench/ (co-located tests may), unresolved imports and files in no floor", () => {
    const r = checkLayers(tree({
      "src/adapters/llvm/llvm-toolchain.test.ts": 'import { H } from "../../../test/support/helper.js";\nexport const h = H;\n',
      "src/adapters/llvm/llvm-toolchain.ts": 'import { H } from "../../../test/support/helper.js";\nexport const h = H;\n',
      "src/server/registry/gone.ts": 'export * from "./moved-away.js";\n',
      "src/stray.ts": "export const s = 1;\n",
    }));
    expect(r.violations).toEqual([
      "src/adapters/llvm/llvm-toolchain.ts imports test/support/helper.ts: src/ may not import test/",
      "src/server/registry/gone.ts:1 imports ./moved-away.js: no such file",
      "src/stray.ts: is in no floor (src/gen, src/kernel, src/privacy, src/ledger, src/adapters, src/server, src/client, src/cli)",
    ]);
  });
});
