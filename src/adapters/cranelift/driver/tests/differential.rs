//! Tests of the `differential` op (PROTOCOL.md): wasm functions from C objects run in
//! the sandbox before and after legitimate plans (no difference) and after mutations
//! of their CLIF (each rejected, naming the function and what differed).

use base64::Engine as _;
use opm_cranelift_driver::handle_line;
use serde_json::{json, Value};

const SAMPLE_OBJECT: &[u8] = include_bytes!("fixtures/sample-object.wasm");
const LIBC_OBJECT: &[u8] = include_bytes!("fixtures/libc-calls-object.wasm");
const SAMPLE_LINKED: &[u8] = include_bytes!("fixtures/sample-O0.wasm");

fn wasm_input(bytes: &[u8]) -> Value {
    json!({"format": "wasm", "base64": base64::engine::general_purpose::STANDARD.encode(bytes)})
}

fn call(req: Value) -> Value {
    serde_json::from_str(&handle_line(&serde_json::to_string(&req).unwrap())).unwrap()
}

fn ok(req: Value) -> Value {
    let resp = call(req.clone());
    assert_eq!(resp["ok"], json!(true), "request failed: {resp}");
    resp
}

/// Fuel of one run in these tests (the default is 200 000): enough for every function
/// of the fixtures but `run`, and quick in a debug build.
const FUEL: u64 = 50_000;

fn differential(fields: Value) -> Value {
    let mut req = json!({"protocol": 1, "op": "differential", "fuel": FUEL});
    req.as_object_mut().unwrap().extend(fields.as_object().unwrap().clone());
    ok(req)
}

fn function<'a>(resp: &'a Value, symbol_or_name: &str) -> &'a Value {
    resp["functions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["symbol"] == json!(symbol_or_name) || f["clif_name"] == json!(symbol_or_name))
        .unwrap_or_else(|| panic!("no function {symbol_or_name} in {resp}"))
}

/// The CLIF of every function of `wasm` (as `lower` prints it), in order.
fn lowered(wasm: &[u8]) -> Vec<(String, String)> {
    let resp = ok(json!({"protocol": 1, "op": "lower", "input": wasm_input(wasm)}));
    resp["functions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["clif_name"].as_str().unwrap().to_string(), f["clif"].as_str().unwrap().to_string()))
        .collect()
}

/// The module's CLIF with one line of function `clif_name` edited: the first line
/// containing `find` is replaced by `replace(line)` (`None` deletes it).
fn mutant(wasm: &[u8], clif_name: &str, find: &str, replace: impl Fn(&str) -> Option<String>) -> String {
    let mut edited = false;
    let texts: Vec<String> = lowered(wasm)
        .into_iter()
        .map(|(name, text)| {
            if name != clif_name {
                return text;
            }
            let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
            let i = lines.iter().position(|l| l.contains(find)).unwrap_or_else(|| panic!("{clif_name} has no line with {find:?}"));
            match replace(&lines[i]) {
                Some(l) => lines[i] = l,
                None => {
                    lines.remove(i);
                }
            }
            edited = true;
            lines.join("\n")
        })
        .collect();
    assert!(edited, "no function {clif_name}");
    texts.join("\n\n")
}

#[test]
fn legitimate_plans_agree_on_every_function_that_finishes() {
    let plans = [
        json!({"settings": {"opt_level": "none"}, "include_codegen_pipeline": true}),
        json!({"settings": {"opt_level": "speed"}, "include_codegen_pipeline": true}),
        json!({"settings": {"opt_level": "speed_and_size"}, "include_codegen_pipeline": true}),
        json!({"steps": ["remove_constant_phis", "replace_redundant_loads", "egraph_pass"], "settings": {"opt_level": "speed_and_size"}, "include_codegen_pipeline": true}),
        json!({"steps": ["legalize", "eliminate_unreachable_code", "egraph_pass"]}),
    ];
    for plan in plans {
        let mut fields = plan.clone();
        fields["input"] = wasm_input(SAMPLE_OBJECT);
        let resp = differential(fields);
        assert_eq!(resp["same"], json!(true), "plan {plan}: {resp}");
        let totals = &resp["totals"];
        assert_eq!(totals["functions"], json!(11));
        assert_eq!(totals["differing_functions"], json!(0));
        // Every function but `run` (a 256-element bubble sort: millions of instructions).
        assert_eq!(totals["compared_functions"], json!(10), "plan {plan}: {totals}");
        let run = function(&resp, "run");
        assert_eq!(run["status"], json!("not_covered"));
        assert_eq!(run["reason"], json!(format!("BEFORE did not finish within {FUEL} instructions")));
        for name in ["fib", "gcd", "apply", "fnv1a", "classify", "bubble", "poly"] {
            assert_eq!(function(&resp, name)["status"], json!("compared"), "{name} under {plan}");
        }
    }
}

#[test]
fn the_sandbox_gives_wasm_functions_memory_a_stack_pointer_and_their_callees() {
    let resp = differential(json!({"input": wasm_input(SAMPLE_OBJECT), "functions": ["apply", "bubble"]}));
    let sandbox = &resp["sandbox"];
    // 1024-byte table + arena + 128 KiB stack: 4 pages, stack pointer at the top.
    assert_eq!(sandbox["memory_bytes"], json!(4 * 65536));
    assert_eq!(sandbox["stack_pointer"], json!(4 * 65536));
    assert_eq!(sandbox["imports"], json!([]));
    // apply(which, a, b) calls add/mul/sub through a function pointer (call_indirect):
    // probe 2 is (3, 2, 7): 3 % 3 = 0 → add(2, 7).
    let apply = function(&resp, "apply");
    assert_eq!(apply["status"], json!("compared"));
    let run = apply["runs"].as_array().unwrap().iter().find(|r| r["args"][0]["value"] == json!("3")).unwrap();
    assert_eq!(run["before"]["values"], json!([{"type": "i32", "value": "9"}]));
    // bubble(v, n) sorts an arena array in place: memory is compared, not only results.
    let bubble = function(&resp, "bubble");
    assert_eq!(bubble["status"], json!("compared"));
    assert!(bubble["runs"].as_array().unwrap().iter().any(|r| r["status"] == json!("same") && r["before"]["status"] == json!("returned")));
    // Only the listed functions ran.
    assert_eq!(resp["totals"]["functions"], json!(2));
}

#[test]
fn linked_modules_use_their_own_globals_and_table() {
    let resp = differential(json!({"input": wasm_input(SAMPLE_LINKED), "settings": {"opt_level": "speed_and_size"}, "include_codegen_pipeline": true}));
    assert_eq!(resp["same"], json!(true));
    assert_eq!(resp["totals"]["compared_functions"], json!(11), "{}", resp["totals"]);
    // Linked: names come from the name section, indices shift (u0:0 is __wasm_call_ctors).
    assert_eq!(function(&resp, "u0:3")["name"], json!("apply"));
    assert_eq!(function(&resp, "u0:3")["status"], json!("compared"));
}

#[test]
fn libc_calls_run_through_stubs_and_their_output_is_compared() {
    let resp = differential(json!({"input": wasm_input(LIBC_OBJECT), "settings": {"opt_level": "speed_and_size"}, "include_codegen_pipeline": true}));
    assert_eq!(resp["same"], json!(true));
    assert_eq!(resp["totals"]["compared_functions"], json!(3));
    // clang inlines the fixed-size memset/memcpy; the other calls stay imports.
    assert_eq!(resp["sandbox"]["imports"], json!(["env.printf", "env.strlen", "env.putchar", "env.memcmp"]));
    let report = function(&resp, "report");
    let first = &report["runs"][0]["before"];
    assert_eq!(first["stubs"], json!(["env.printf"]));
    assert_eq!(first["output_bytes"], json!("n=0 h=00000000 s=hello, sandbox\n".len()));
    assert_eq!(function(&resp, "copy_and_compare")["runs"][0]["before"]["stubs"], json!(["env.memcmp", "env.strlen"]));
    assert_eq!(function(&resp, "shout")["runs"][0]["before"]["stubs"], json!(["env.strlen", "env.putchar"]));
}

/// Asserts that `after` (CLIF of the whole module) differs from `wasm` in function
/// `symbol` and returns the difference sentences.
fn rejected(wasm: &[u8], after: &str, symbol: &str) -> Vec<String> {
    let resp = differential(json!({"input": wasm_input(wasm), "after": {"format": "clif", "text": after}}));
    assert_eq!(resp["same"], json!(false), "mutant of {symbol} survived: {resp}");
    let f = function(&resp, symbol);
    assert_eq!(f["status"], json!("differs"), "{f}");
    assert_eq!(resp["totals"]["differing_functions"], json!(1));
    f["difference"]["differences"].as_array().unwrap().iter().map(|d| d.as_str().unwrap().to_string()).collect()
}

#[test]
fn mutants_with_memory_effects_are_rejected_naming_the_function_and_the_difference() {
    // fib: `t = a + b` becomes `a - b` (u0:0).
    let d = rejected(SAMPLE_OBJECT, &mutant(SAMPLE_OBJECT, "u0:0", "v62 = iadd v55, v61", |l| Some(l.replace("iadd", "isub"))), "fib");
    // fib(1) still returns 1, but the frame slot of `t` holds -1: memory differs.
    assert!(d.iter().any(|s| s.starts_with("memory: ") || s.starts_with("return values: ")), "{d:?}");
    // gcd: `while (b != 0)` becomes `while (b == 0)`: a remainder by zero traps (u0:1).
    let d = rejected(SAMPLE_OBJECT, &mutant(SAMPLE_OBJECT, "u0:1", "icmp_imm eq v25, 0", |l| Some(l.replace("icmp_imm eq", "icmp_imm ne"))), "gcd");
    assert!(d.iter().any(|s| s == "outcome: before returned i32 0, after trapped (int_divz)"), "{d:?}");
    // bubble: the store `v[j] = v[j + 1]` is dropped: memory differs (u0:8).
    let d = rejected(SAMPLE_OBJECT, &mutant(SAMPLE_OBJECT, "u0:8", "store little heap v167, v185", |_| None), "bubble");
    assert!(d.iter().any(|s| s.starts_with("memory: ") && s.contains("byte(s) differ, first at offset 0x")), "{d:?}");
    // classify: `case 1: return 22` returns 23 (u0:7).
    let d = rejected(SAMPLE_OBJECT, &mutant(SAMPLE_OBJECT, "u0:7", "iconst.i32 22", |l| Some(l.replace("iconst.i32 22", "iconst.i32 23"))), "classify");
    assert!(d.iter().any(|s| s == "return values: before i32 22, after i32 23"), "{d:?}");
    // report: the stack pointer is restored 16 bytes off: the global differs (u0:4).
    let d = rejected(LIBC_OBJECT, &mutant(LIBC_OBJECT, "u0:4", "v48 = iconst.i32 32", |l| Some(l.replace("iconst.i32 32", "iconst.i32 16"))), "report");
    assert!(d.iter().any(|s| s.starts_with("global 0 (env.__stack_pointer): before 0x")), "{d:?}");
    // report: printf gets `greeting + 1`: the output differs.
    let d = rejected(LIBC_OBJECT, &mutant(LIBC_OBJECT, "u0:4", "v32 = iconst.i32 18", |l| Some(l.replace("iconst.i32 18", "iconst.i32 19"))), "report");
    assert!(d.iter().any(|s| s.starts_with("output: before ") && s.contains("s=hello, sandbox") && s.contains("s=ello, sandbox")), "{d:?}");
}

#[test]
fn clif_functions_with_vmctx_run_too() {
    let before = "function %put(i32, i64 vmctx) -> i32 fast {
    gv0 = vmctx
    gv1 = load.i64 notrap aligned readonly gv0
block0(v0: i32, v1: i64):
    v2 = global_value.i64 gv1
    v3 = uextend.i64 v0
    v4 = iadd v2, v3
    v5 = iconst.i32 5
    store little heap v5, v4+16
    return v0
}

function %bump(i64 vmctx) fast {
    gv0 = vmctx
block0(v0: i64):
    v1 = global_value.i64 gv0
    v2 = load.i32 notrap aligned table v1+8
    v3 = iadd_imm v2, -16
    store notrap aligned table v3, v1+8
    return
}

function %calls_import(i64 vmctx) fast {
    fn0 = u0:99(i64 vmctx)
block0(v0: i64):
    call fn0(v0)
    return
}
";
    let input = json!({"format": "clif", "text": before});
    let same = differential(json!({"input": input, "after": {"format": "clif", "text": before}}));
    assert_eq!(same["same"], json!(true));
    assert_eq!(function(&same, "%put")["status"], json!("compared"));
    assert_eq!(function(&same, "%bump")["status"], json!("compared"));
    let import = function(&same, "%calls_import");
    assert_eq!(import["status"], json!("not_covered"));
    assert!(import["reason"].as_str().unwrap().contains("calls u0:99, which the module does not define"), "{import}");

    let after = before.replace("iconst.i32 5", "iconst.i32 6").replace("iadd_imm v2, -16", "iadd_imm v2, -32");
    let resp = differential(json!({"input": input, "after": {"format": "clif", "text": after}, "stop_at_first_difference": false}));
    let put = &function(&resp, "%put")["difference"];
    assert_eq!(put["args"], json!([{"type": "i32", "value": "0"}, {"type": "i64", "value": "1099511627776", "vmctx": true}]));
    assert_eq!(put["differences"].as_array().unwrap().len(), 1, "{put}");
    let text = put["differences"][0].as_str().unwrap();
    assert!(text.starts_with("memory: 1 byte(s) differ, first at offset 0x10: before 05 00 00 00"), "{text}");
    assert!(text.contains("after 06 00 00 00"), "{text}");
    let bump = &function(&resp, "%bump")["difference"]["differences"];
    // CLIF input: every global slot starts at the top of memory (4 pages).
    assert_eq!(bump, &json!(["global 0 (global 0): before 0x3fff0, after 0x3ffe0"]));
    assert_eq!(resp["totals"]["differing_functions"], json!(2));
}

#[test]
fn same_request_same_response() {
    let req = json!({"input": wasm_input(SAMPLE_OBJECT), "settings": {"opt_level": "speed_and_size"}, "include_codegen_pipeline": true, "seed": 7});
    assert_eq!(differential(req.clone()), differential(req.clone()));
    let other = differential(json!({"input": wasm_input(SAMPLE_OBJECT), "settings": {"opt_level": "speed_and_size"}, "include_codegen_pipeline": true, "seed": 8}));
    assert_ne!(differential(req)["functions"], other["functions"], "the seed changes memory contents and probes");
}

#[test]
fn fuel_and_budget_bound_every_request() {
    let resp = differential(json!({"input": wasm_input(SAMPLE_OBJECT), "functions": ["fib"], "fuel": 50}));
    let fib = function(&resp, "fib");
    assert_eq!(fib["status"], json!("not_covered"));
    assert_eq!(fib["reason"], json!("BEFORE did not finish within 50 instructions"));
    let resp = differential(json!({"input": wasm_input(SAMPLE_OBJECT), "total_fuel": 0}));
    assert_eq!(resp["totals"]["compared_runs"], json!(0));
    assert!(function(&resp, "gcd")["reason"].as_str().unwrap().contains("total fuel is spent"));
}

#[test]
fn bad_differential_requests_are_errors_naming_the_field() {
    let input = wasm_input(SAMPLE_OBJECT);
    for (req, code, field) in [
        (json!({"input": input, "after": input, "steps": ["egraph_pass"]}), "bad_request", "steps"),
        (json!({"input": input, "functions": ["nope"]}), "unknown_function", ""),
        (json!({"input": input, "probes": 1000}), "bad_request", "probes"),
        (json!({"input": input, "after": {"format": "clif", "text": "function %f( {"}}), "parse_error", ""),
        (json!({"input": input, "after": 3}), "bad_request", "after"),
    ] {
        let mut full = json!({"protocol": 1, "op": "differential"});
        full.as_object_mut().unwrap().extend(req.as_object().unwrap().clone());
        let resp = call(full);
        assert_eq!(resp["ok"], json!(false), "{req}");
        assert_eq!(resp["error"]["code"], json!(code), "{resp}");
        if !field.is_empty() {
            assert_eq!(resp["error"]["field"], json!(field), "{resp}");
        }
    }
}
