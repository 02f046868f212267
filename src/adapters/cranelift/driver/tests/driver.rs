//! Integration tests for the JSON-lines protocol (see PROTOCOL.md).

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use base64::Engine as _;
use opm_cranelift_driver::{handle_line, handle_value, STEPS};
use serde_json::{json, Value};

const SMALL_CLIF: &str = include_str!("fixtures/small.clif");
const SAMPLE_O0: &[u8] = include_bytes!("fixtures/sample-O0.wasm");
const SAMPLE_O2: &[u8] = include_bytes!("fixtures/sample-O2.wasm");

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn clif_input(text: &str) -> Value {
    json!({"format": "clif", "base64": b64(text.as_bytes())})
}

fn wasm_input(bytes: &[u8]) -> Value {
    json!({"format": "wasm", "base64": b64(bytes)})
}

fn call(req: Value) -> Value {
    let line = serde_json::to_string(&req).unwrap();
    let out = handle_line(&line);
    assert!(!out.contains('\n'), "response must be a single line");
    serde_json::from_str(&out).expect("response is JSON")
}

fn ok(req: Value) -> Value {
    let resp = call(req.clone());
    assert_eq!(resp["ok"], json!(true), "request {req} failed: {resp}");
    assert_eq!(resp["protocol"], json!(1));
    resp
}

fn err_code(req: Value) -> (String, Value) {
    let resp = call(req.clone());
    assert_eq!(resp["ok"], json!(false), "request {req} unexpectedly succeeded");
    assert!(resp["error"]["message"].as_str().map_or(false, |m| !m.is_empty()));
    (resp["error"]["code"].as_str().unwrap().to_string(), resp["error"].clone())
}

fn compile(input: Value, steps: &[&str], settings: Value) -> Value {
    ok(json!({"protocol": 1, "op": "compile", "input": input, "steps": steps, "settings": settings}))
}

fn assert_all_verified(resp: &Value, steps: &[&str]) {
    for f in resp["functions"].as_array().unwrap() {
        let log: Vec<&str> = f["verifier"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                assert_eq!(e["ok"], json!(true));
                e["step"].as_str().unwrap()
            })
            .collect();
        let mut expected = vec!["input"];
        expected.extend_from_slice(steps);
        expected.push("codegen");
        assert_eq!(log, expected, "verifier log of {}", f["name"]);
        assert!(f["code_bytes"].as_u64().unwrap() > 0);
        assert_eq!(f["clif_digest"].as_str().unwrap().len(), 64);
    }
}

#[test]
fn info_reports_linked_versions() {
    let r = ok(json!({"protocol": 1, "op": "info", "id": "abc"}));
    assert_eq!(r["id"], json!("abc"));
    assert_eq!(r["protocol_version"], json!(1));
    assert_eq!(r["target"], json!("x86_64"));
    let v = &r["versions"];
    assert_eq!(v["cranelift-codegen"], json!("0.112.3"));
    // The build script reads Cargo.lock; cross-check against the crates' own constants.
    assert_eq!(v["cranelift-frontend"], json!(cranelift_frontend::VERSION));
    assert_eq!(v["cranelift-wasm"], json!(cranelift_wasm::VERSION));
    for k in ["cranelift-reader", "cranelift-interpreter"] {
        assert_eq!(v[k], json!("0.112.3"), "{k}");
    }
}

#[test]
fn catalog_lists_only_real_steps_and_all_settings() {
    let r = ok(json!({"protocol": 1, "op": "catalog"}));
    let names: BTreeSet<&str> =
        r["steps"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    let expected: BTreeSet<&str> = [
        "legalize",
        "eliminate_unreachable_code",
        "remove_constant_phis",
        "resolve_all_aliases",
        "replace_redundant_loads",
        "egraph_pass",
        "canonicalize_nans",
    ]
    .into_iter()
    .collect();
    assert_eq!(names, expected);
    // Passes Cranelift 0.112 does not have as separate callable steps are rejected.
    for fake in ["licm", "dce", "gvn", "inline", "simple_gvn", "compute_cfg", "souper_harvest"] {
        let (code, e) = err_code(json!({"protocol": 1, "op": "compile", "input": clif_input(SMALL_CLIF), "steps": [fake]}));
        assert_eq!(code, "unknown_step");
        assert_eq!(e["step"], json!(fake));
    }
    for s in r["steps"].as_array().unwrap() {
        assert!(s["api"].as_str().unwrap().starts_with("cranelift_codegen::"));
        assert!(s["prerequisites"].is_array());
    }

    // Settings are enumerated from the descriptors, not hand-listed.
    let settings = r["settings"].as_array().unwrap();
    let shared_n = cranelift_codegen::settings::builder().iter().count();
    let isa_n = cranelift_codegen::isa::lookup_by_name("x86_64").unwrap().iter().count();
    assert_eq!(settings.len(), shared_n + isa_n);
    let opt = settings.iter().find(|s| s["name"] == "opt_level").unwrap();
    assert_eq!(opt["kind"], json!("enum"));
    assert_eq!(opt["allowed"], json!(["none", "speed", "speed_and_size"]));
    assert_eq!(opt["default"], json!("none"));
    assert!(settings.iter().any(|s| s["name"] == "has_avx2" && s["kind"] == "bool"));
    assert!(settings.iter().any(|s| s["name"] == "haswell" && s["kind"] == "preset"));

    // Setting every non-preset setting to its advertised default is accepted and is a no-op.
    let base = compile(clif_input(SMALL_CLIF), &[], json!({}));
    let base_digest = base["totals"]["output_digest"].clone();
    for s in settings.iter().filter(|s| s["kind"] != "preset") {
        let name = s["name"].as_str().unwrap();
        let r = compile(clif_input(SMALL_CLIF), &[], json!({ name: s["default"].clone() }));
        assert_eq!(r["totals"]["output_digest"], base_digest, "default of {name} changed code");
    }
}

#[test]
fn compile_small_clif_with_different_settings() {
    let mut sizes = Vec::new();
    for settings in [
        json!({}),
        json!({"opt_level": "none"}),
        json!({"opt_level": "speed"}),
        json!({"opt_level": "speed_and_size", "has_sse41": true}),
        json!({"opt_level": "speed", "haswell": true, "has_avx2": false}),
        json!({"preserve_frame_pointers": true}),
        json!({"enable_verifier": false, "regalloc_checker": true}),
    ] {
        let r = compile(clif_input(SMALL_CLIF), &[], settings.clone());
        assert_all_verified(&r, &[]);
        let fns = r["functions"].as_array().unwrap();
        assert_eq!(fns.len(), 4);
        let total: u64 = fns.iter().map(|f| f["code_bytes"].as_u64().unwrap()).sum();
        assert_eq!(r["totals"]["code_bytes"].as_u64().unwrap(), total);
        // output_digest = SHA-256 of the concatenated code, in function order.
        let mut all = Vec::new();
        for f in fns {
            let code = base64::engine::general_purpose::STANDARD
                .decode(f["code_base64"].as_str().unwrap())
                .unwrap();
            assert_eq!(code.len() as u64, f["code_bytes"].as_u64().unwrap());
            all.extend(code);
        }
        assert_eq!(r["totals"]["output_digest"], json!(opm_cranelift_driver::sha256_hex(&all)));
        assert_eq!(
            r["totals"]["input_digest"],
            json!(opm_cranelift_driver::sha256_hex(SMALL_CLIF.as_bytes()))
        );
        if let Some(o) = settings.get("opt_level") {
            assert_eq!(r["settings"]["opt_level"], *o);
        }
        sizes.push(total);
    }
    // opt_level changes the generated code; the default is opt_level=none
    assert_eq!(sizes[0], sizes[1]);
    assert_ne!(sizes[1], sizes[2]);
    // optional CLIF text
    let r = ok(json!({"protocol": 1, "op": "compile", "input": clif_input(SMALL_CLIF), "include_clif": true, "include_code": false, "steps": ["egraph_pass"]}));
    let f = &r["functions"][0];
    assert!(f["clif"].as_str().unwrap().starts_with("function %add3"));
    assert!(f.get("code_base64").is_none());
    assert_eq!(
        f["clif_digest"],
        json!(opm_cranelift_driver::sha256_hex(f["clif"].as_str().unwrap().as_bytes()))
    );
}

#[test]
fn wasm_from_c_opt_levels_differ_and_are_deterministic() {
    for wasm in [SAMPLE_O0, SAMPLE_O2] {
        let none = compile(wasm_input(wasm), &[], json!({"opt_level": "none"}));
        let size = compile(wasm_input(wasm), &[], json!({"opt_level": "speed_and_size"}));
        let size2 = compile(wasm_input(wasm), &[], json!({"opt_level": "speed_and_size"}));
        assert_all_verified(&none, &[]);
        assert_all_verified(&size, &[]);
        let names: Vec<&str> =
            none["functions"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
        for n in ["fib", "gcd", "apply", "fnv1a", "classify", "bubble", "poly", "run"] {
            assert!(names.contains(&n), "missing {n} in {names:?}");
        }
        let (a, b) = (&none["totals"], &size["totals"]);
        assert_ne!(a["code_bytes"], b["code_bytes"]);
        assert_ne!(a["output_digest"], b["output_digest"]);
        assert_eq!(a["input_digest"], b["input_digest"]);
        assert_eq!(b["output_digest"], size2["totals"]["output_digest"]);
        assert_eq!(b["code_bytes"], size2["totals"]["code_bytes"]);
    }
}

#[test]
fn lowered_clif_round_trips_to_identical_code() {
    let low = ok(json!({"protocol": 1, "op": "lower", "input": wasm_input(SAMPLE_O2)}));
    let fns = low["functions"].as_array().unwrap();
    assert!(fns.iter().all(|f| f["verifier"]["ok"] == json!(true)));
    let text: Vec<&str> = fns.iter().map(|f| f["clif"].as_str().unwrap()).collect();
    let text = text.join("\n");
    let via_clif = compile(clif_input(&text), &[], json!({"opt_level": "speed"}));
    let via_wasm = compile(wasm_input(SAMPLE_O2), &[], json!({"opt_level": "speed"}));
    assert_eq!(via_clif["totals"]["output_digest"], via_wasm["totals"]["output_digest"]);
}

#[test]
fn each_step_in_isolation_passes_the_verifier() {
    for step in STEPS {
        for input in [clif_input(SMALL_CLIF), wasm_input(SAMPLE_O0), wasm_input(SAMPLE_O2)] {
            for opt in ["none", "speed"] {
                let r = compile(input.clone(), &[step.name], json!({"opt_level": opt}));
                assert_all_verified(&r, &[step.name]);
            }
        }
    }
}

#[test]
fn every_ordered_pair_of_steps_verifies_and_preserves_semantics() {
    let names: Vec<&str> = STEPS.iter().map(|s| s.name).collect();
    for a in &names {
        for b in &names {
            let steps = [*a, *b];
            let r = compile(wasm_input(SAMPLE_O2), &steps, json!({}));
            assert_all_verified(&r, &steps);
            for (func, args, want) in [
                ("sum_to", json!([100]), "4950"),
                ("mem", json!([3]), "42"),
                ("caller", json!([5]), "13"),
            ] {
                let i = ok(json!({"protocol": 1, "op": "interpret", "input": clif_input(SMALL_CLIF),
                    "steps": steps, "function": func, "args": args}));
                assert_eq!(i["same"], json!(true), "{steps:?} {func}: {i}");
                assert_eq!(i["after"]["values"][0]["value"], json!(want), "{steps:?} {func}");
            }
        }
    }
}

#[test]
fn interpret_wasm_function_before_and_after() {
    // fib(i32, vmctx) does not touch memory, so the interpreter can run it.
    let r = ok(json!({"protocol": 1, "op": "interpret", "input": wasm_input(SAMPLE_O2),
        "steps": ["legalize", "egraph_pass"], "include_codegen_pipeline": true,
        "function": "fib", "args": [20, 0]}));
    assert_eq!(r["before"]["status"], json!("returned"));
    assert_eq!(r["before"]["values"][0]["value"], json!("6765"));
    assert_eq!(r["same"], json!(true));
    let r = ok(json!({"protocol": 1, "op": "interpret", "input": wasm_input(SAMPLE_O2),
        "function": "gcd", "args": ["84", "0x24", 0]}));
    assert_eq!(r["after"]["values"][0]["value"], json!("12"));
    // Fuel bounds runaway loops.
    let r = ok(json!({"protocol": 1, "op": "interpret", "input": clif_input(SMALL_CLIF),
        "function": "%sum_to", "args": [1000000], "fuel": 100}));
    assert_eq!(r["before"]["status"], json!("fuel_exhausted"));
}

#[test]
fn frontend_built_function_compiles() {
    use cranelift_codegen::ir::{types::I64, AbiParam, Function, InstBuilder, Signature, UserFuncName};
    use cranelift_codegen::isa::CallConv;
    use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
    let mut sig = Signature::new(CallConv::SystemV);
    sig.params.push(AbiParam::new(I64));
    sig.returns.push(AbiParam::new(I64));
    let mut func = Function::with_name_signature(UserFuncName::testcase("square_plus_one"), sig);
    let mut fctx = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(&mut func, &mut fctx);
    let block = b.create_block();
    b.append_block_params_for_function_params(block);
    b.switch_to_block(block);
    b.seal_block(block);
    let x = b.block_params(block)[0];
    let sq = b.ins().imul(x, x);
    let r = b.ins().iadd_imm(sq, 1);
    b.ins().return_(&[r]);
    b.finalize();
    let text = func.display().to_string();
    let c = compile(clif_input(&text), &["egraph_pass"], json!({"opt_level": "speed"}));
    assert_eq!(c["functions"][0]["name"], json!("%square_plus_one"));
    let i = ok(json!({"protocol": 1, "op": "interpret", "input": clif_input(&text), "function": "square_plus_one", "args": [7]}));
    assert_eq!(i["before"]["values"][0]["value"], json!("50"));
}

#[test]
fn bad_inputs_give_error_responses_naming_the_problem() {
    let small = clif_input(SMALL_CLIF);
    let cases: Vec<(Value, &str, &str)> = vec![
        (json!({"op": "info"}), "bad_request", "protocol"),
        (json!({"protocol": 2, "op": "info"}), "unsupported_protocol", "protocol 2"),
        (json!({"protocol": 1}), "bad_request", "'op'"),
        (json!([1, 2]), "bad_request", "object"),
        (json!({"protocol": 1, "op": "frobnicate"}), "unknown_op", "frobnicate"),
        (json!({"protocol": 1, "op": "compile"}), "bad_request", "input"),
        (json!({"protocol": 1, "op": "compile", "input": small, "steps": ["egraph_pass", "licm"]}), "unknown_step", "licm"),
        (json!({"protocol": 1, "op": "compile", "input": small, "steps": "egraph_pass"}), "bad_request", "steps"),
        (json!({"protocol": 1, "op": "compile", "input": small, "settings": {"opt_levl": "speed"}}), "unknown_setting", "opt_levl"),
        (json!({"protocol": 1, "op": "compile", "input": small, "settings": {"opt_level": "fast"}}), "bad_setting_value", "speed_and_size"),
        (json!({"protocol": 1, "op": "compile", "input": small, "settings": {"is_pic": "maybe"}}), "bad_setting_value", "is_pic"),
        (json!({"protocol": 1, "op": "compile", "input": small, "settings": {"probestack_size_log2": 1000}}), "bad_setting_value", "probestack_size_log2"),
        (json!({"protocol": 1, "op": "compile", "input": small, "settings": {"haswell": false}}), "bad_setting_value", "preset"),
        (json!({"protocol": 1, "op": "compile", "input": small, "settings": {"opt_level": ["speed"]}}), "bad_setting_value", "opt_level"),
        (json!({"protocol": 1, "op": "compile", "input": {"format": "clif", "base64": "@@@"}}), "bad_base64", "base64"),
        (json!({"protocol": 1, "op": "compile", "input": {"format": "llvm", "base64": ""}}), "bad_format", "llvm"),
        (json!({"protocol": 1, "op": "compile", "input": clif_input("function %f() {\nblock0:\n  v0 = iadd v1, v2\n  return\n}\n")}), "parse_error", "line 3"),
        (json!({"protocol": 1, "op": "compile", "input": clif_input("")}), "no_functions", "no functions"),
        (json!({"protocol": 1, "op": "compile", "input": wasm_input(b"\0asm\x01\0\0\0\x05garbage")}), "wasm_error", "wasm"),
        (json!({"protocol": 1, "op": "lower", "input": wasm_input(b"not wasm at all")}), "wasm_error", "wasm"),
        (json!({"protocol": 1, "op": "interpret", "input": small, "function": "nope", "args": []}), "unknown_function", "nope"),
        (json!({"protocol": 1, "op": "interpret", "input": small, "function": "add3", "args": [1]}), "bad_argument", "2 argument"),
        (json!({"protocol": 1, "op": "interpret", "input": small, "function": "add3", "args": [1, "x"]}), "bad_argument", "args[1]"),
        (json!({"protocol": 1, "op": "interpret", "input": small, "function": "add3", "args": [1, 2.5]}), "bad_argument", "args[1]"),
    ];
    for (req, code, needle) in cases {
        let (got, e) = err_code(req.clone());
        assert_eq!(got, code, "request {req}: {e}");
        assert!(
            e["message"].as_str().unwrap().contains(needle),
            "message for {req} should mention {needle}: {e}"
        );
    }
    // Not JSON at all.
    let r: Value = serde_json::from_str(&handle_line("{not json")).unwrap();
    assert_eq!(r["error"]["code"], json!("bad_json"));
    // A parseable function that fails the verifier names function and step.
    let bad = "function %bad(i32) -> i32 {\nblock0(v0: i32):\n    brif v0, block1, block2\nblock1:\n    v1 = iconst.i32 1\n    jump block2\nblock2:\n    return v1\n}\n";
    let (code, e) = err_code(json!({"protocol": 1, "op": "compile", "input": clif_input(bad), "steps": ["egraph_pass"]}));
    assert_eq!(code, "verifier_error");
    assert_eq!(e["function"], json!("%bad"));
    assert_eq!(e["step"], json!("input"));
    assert!(e["verifier"].as_str().unwrap().contains("v1"));
    // Errors echo the request id.
    let r = handle_value(r#"{"protocol":1,"op":"zap","id":42}"#);
    assert_eq!(r["id"], json!(42));
}

#[test]
fn binary_serves_json_lines_until_eof() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_opm-cranelift-driver"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let requests = vec![
        r#"{"protocol":1,"op":"info","id":1}"#.to_string(),
        "this is not json".to_string(),
        String::new(), // blank lines are skipped
        r#"{"protocol":1,"op":"nope","id":3}"#.to_string(),
        serde_json::to_string(&json!({"protocol": 1, "op": "compile", "id": 4, "input": wasm_input(SAMPLE_O2), "settings": {"opt_level": "speed"}})).unwrap(),
        r#"{"protocol":1,"op":"catalog","id":5}"#.to_string(),
    ];
    {
        let stdin = child.stdin.as_mut().unwrap();
        for r in &requests {
            stdin.write_all(r.as_bytes()).unwrap();
            stdin.write_all(b"\n").unwrap();
        }
        stdin.write_all(b"\xff\xfe invalid utf8\n").unwrap();
    }
    drop(child.stdin.take()); // EOF
    let lines: Vec<Value> = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect();
    let status = child.wait().unwrap();
    assert!(status.success());
    assert_eq!(lines.len(), 6);
    assert_eq!(lines[0]["ok"], json!(true));
    assert_eq!(lines[1]["error"]["code"], json!("bad_json"));
    assert_eq!(lines[2]["error"]["code"], json!("unknown_op"));
    assert_eq!(lines[3]["id"], json!(4));
    assert_eq!(lines[3]["ok"], json!(true));
    assert_eq!(lines[4]["op"], json!("catalog"));
    assert_eq!(lines[5]["error"]["code"], json!("bad_json"));
}
