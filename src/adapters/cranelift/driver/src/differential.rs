//! The `differential` op: runs every function of a module before and after a transform
//! in the sandbox (`sandbox.rs`) on seeded probe arguments, and compares what each run
//! returned or trapped with, the final linear memory, the globals and what it printed.
//! See PROTOCOL.md for the request and response.

use std::collections::BTreeSet;

use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::data_value::DataValue;
use cranelift_codegen::ir::{self, immediates::Ieee32, immediates::Ieee64, ArgumentPurpose, Function};
use cranelift_codegen::Context;
use cranelift_interpreter::environment::FunctionStore;
use serde_json::{json, Map, Value};

use crate::module_layout::ModuleLayout;
use crate::sandbox::{run_function, Outcome, RunResult};
use crate::sandbox_image::{SandboxImage, SplitMix64, MAX_PAGES};
use crate::{
    build_isa, decode_input_field, load_functions, opt_bool, parse_steps, run_steps, sha256_hex, DriverError,
    Format, InputFunction, R,
};

/// Default probe argument vectors per function.
pub const DEFAULT_PROBES: u64 = 8;
/// Default fuel of one BEFORE run; the AFTER run gets twice as much.
pub const DEFAULT_RUN_FUEL: u64 = 200_000;
/// Default fuel of all runs of one request together.
pub const DEFAULT_TOTAL_FUEL: u64 = 30_000_000;
/// Default seed of memory contents and probe arguments.
pub const DEFAULT_SEED: u64 = 1;

struct Limits {
    probes: u64,
    fuel: u64,
    total_fuel: u64,
    stop_at_first: bool,
}

fn opt_u64(req: &Map<String, Value>, key: &str, default: u64, max: u64) -> R<u64> {
    match req.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => match v.as_u64() {
            Some(n) if n <= max => Ok(n),
            _ => Err(DriverError::new("bad_request", format!("field '{key}' must be an integer in [0, {max}]"))
                .with("field", key)),
        },
    }
}

pub(crate) fn op_differential(req: &Map<String, Value>) -> R<Map<String, Value>> {
    let steps = parse_steps(req.get("steps"))?;
    let isa = build_isa(req.get("settings"))?;
    let with_pipeline = opt_bool(req, "include_codegen_pipeline", false)?;
    let limits = Limits {
        probes: opt_u64(req, "probes", DEFAULT_PROBES, 64)?.max(1),
        fuel: opt_u64(req, "fuel", DEFAULT_RUN_FUEL, 1 << 40)?,
        total_fuel: opt_u64(req, "total_fuel", DEFAULT_TOTAL_FUEL, 1 << 50)?,
        stop_at_first: opt_bool(req, "stop_at_first_difference", true)?,
    };
    let seed = opt_u64(req, "seed", DEFAULT_SEED, u64::MAX)?;
    let pages = match req.get("memory_pages") {
        None | Some(Value::Null) => None,
        Some(_) => Some(opt_u64(req, "memory_pages", 0, MAX_PAGES)?.max(1)),
    };
    let selected: Option<Vec<String>> = match req.get("functions") {
        None | Some(Value::Null) => None,
        Some(Value::Array(a)) => Some(
            a.iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect::<Option<_>>()
                .ok_or_else(|| DriverError::new("bad_request", "field 'functions' must be an array of strings").with("field", "functions"))?,
        ),
        Some(_) => return Err(DriverError::new("bad_request", "field 'functions' must be an array of strings").with("field", "functions")),
    };

    let (bytes, format) = decode_input_field(req, "input")?;
    let before = load_functions(&bytes, format, &*isa)?;
    let layout = match format {
        Format::Wasm => ModuleLayout::from_wasm(&bytes)
            .map_err(|e| DriverError::new("wasm_error", format!("cannot read the wasm module's layout: {e}")))?,
        Format::Clif => ModuleLayout::default(),
    };
    if let Some(sel) = &selected {
        for s in sel {
            if !before.iter().any(|f| selects(s, f, wasm_index(&f.clif_name).and_then(|i| layout.symbol_of(i)))) {
                return Err(DriverError::new("unknown_function", format!("no function named '{s}' in the input")).with("function", s.as_str()));
            }
        }
    }
    let mut after: Vec<Function> = match req.get("after") {
        None | Some(Value::Null) => before.iter().map(|f| f.func.clone()).collect(),
        Some(_) => {
            if !steps.is_empty() {
                return Err(DriverError::new("bad_request", "give either 'after' or 'steps', not both").with("field", "steps"));
            }
            let (after_bytes, after_format) = decode_input_field(req, "after")?;
            load_functions(&after_bytes, after_format, &*isa)?.into_iter().map(|f| f.func).collect()
        }
    };
    for f in after.iter_mut() {
        let clif_name = f.name.to_string();
        let shown = before.iter().find(|b| b.clif_name == clif_name).map_or(clif_name, |b| b.name.clone());
        let mut ctx = Context::for_function(std::mem::replace(f, Function::new()));
        let mut cp = ControlPlane::default();
        run_steps(&mut ctx, &*isa, &steps, &shown, &mut cp)?;
        if with_pipeline {
            ctx.optimize(&*isa, &mut cp).map_err(|e| {
                DriverError::new("compile_error", format!("function {shown}: optimize failed: {e}")).with("function", shown.as_str())
            })?;
        }
        *f = ctx.func;
    }

    // Even probes start from the module's data as loaded, odd ones with `.bss` seeded.
    let images = [SandboxImage::new(&layout, seed, pages, false), SandboxImage::new(&layout, seed, pages, true)];
    let image = &images[0];
    let before_funcs: Vec<&Function> = before.iter().map(|f| &f.func).collect();
    let after_funcs: Vec<&Function> = after.iter().collect();
    let before_store = store_of(&before_funcs);
    let after_store = store_of(&after_funcs);

    let mut budget = limits.total_fuel;
    let mut results: Vec<Option<Value>> = vec![None; before.len()];
    let mut totals = Totals::default();
    let mut any_difference = false;
    // Callees before their callers: a changed function is then reported itself rather
    // than through the first caller whose runs reach it.
    for index in callee_first_order(&before) {
        let f = &before[index];
        let symbol = wasm_index(&f.clif_name).and_then(|i| layout.symbol_of(i)).map(str::to_string);
        if let Some(sel) = &selected {
            if !sel.iter().any(|s| selects(s, f, symbol.as_deref())) {
                continue;
            }
        }
        let counterpart = after.iter().find(|a| a.name.to_string() == f.clif_name);
        let r = if any_difference && limits.stop_at_first {
            FunctionReport::skipped("not run: another function already differs")
        } else {
            match counterpart {
                None => FunctionReport::skipped("AFTER has no function of this name"),
                Some(a) if a.signature != f.func.signature => FunctionReport::skipped(&format!(
                    "the signature changed from `{}` to `{}`",
                    f.func.signature, a.signature
                )),
                Some(a) => compare_function(f, a, &before_store, &after_store, &images, &limits, &mut budget, seed ^ (index as u64).wrapping_mul(0x9E37_79B9)),
            }
        };
        totals.add(&r);
        any_difference |= r.status == "differs";
        let mut o = Map::new();
        o.insert("name".into(), f.name.as_str().into());
        o.insert("clif_name".into(), f.clif_name.as_str().into());
        if let Some(s) = symbol {
            o.insert("symbol".into(), s.into());
        }
        o.insert("status".into(), r.status.into());
        o.insert("compared_runs".into(), r.compared.into());
        o.insert("not_covered_runs".into(), r.not_covered.into());
        if let Some(reason) = &r.reason {
            o.insert("reason".into(), reason.as_str().into());
        }
        if let Some(d) = &r.difference {
            o.insert("difference".into(), d.clone());
        }
        o.insert("runs".into(), Value::Array(r.runs));
        results[index] = Some(Value::Object(o));
    }
    let results: Vec<Value> = results.into_iter().flatten().collect();

    let mut m = Map::new();
    m.insert("format".into(), format.as_str().into());
    m.insert("steps".into(), json!(steps.iter().map(|s| s.name).collect::<Vec<_>>()));
    m.insert("include_codegen_pipeline".into(), with_pipeline.into());
    m.insert("same".into(), (!any_difference).into());
    m.insert(
        "sandbox".into(),
        json!({
            "memory_bytes": image.memory.len(),
            "stack_pointer": image.stack_pointer,
            "data_end": image.data_end,
            "arena": [image.arena.0, image.arena.1],
            "globals": image.global_names.len(),
            "imports": image.imports,
            "skipped_data_segments": image.skipped_segments,
            "seed": seed,
            "probes": limits.probes,
            "fuel": limits.fuel,
            "total_fuel": limits.total_fuel,
            "stubs": crate::libc_stubs::STUBBED,
        }),
    );
    m.insert(
        "totals".into(),
        json!({
            "functions": totals.functions,
            "compared_functions": totals.compared_functions,
            "differing_functions": totals.differing_functions,
            "not_covered_functions": totals.not_covered_functions,
            "compared_runs": totals.compared_runs,
            "not_covered_runs": totals.not_covered_runs,
            "fuel_used": limits.total_fuel - budget,
        }),
    );
    m.insert("functions".into(), Value::Array(results));
    Ok(m)
}

#[derive(Default)]
struct Totals {
    functions: u64,
    compared_functions: u64,
    differing_functions: u64,
    not_covered_functions: u64,
    compared_runs: u64,
    not_covered_runs: u64,
}

impl Totals {
    fn add(&mut self, r: &FunctionReport) {
        self.functions += 1;
        match r.status {
            "compared" => self.compared_functions += 1,
            "differs" => self.differing_functions += 1,
            _ => self.not_covered_functions += 1,
        }
        self.compared_runs += r.compared;
        self.not_covered_runs += r.not_covered;
    }
}

struct FunctionReport {
    /// `compared` (every compared run agreed, at least one), `differs`, `not_covered`.
    status: &'static str,
    compared: u64,
    not_covered: u64,
    reason: Option<String>,
    difference: Option<Value>,
    runs: Vec<Value>,
}

impl FunctionReport {
    fn skipped(reason: &str) -> Self {
        FunctionReport { status: "not_covered", compared: 0, not_covered: 0, reason: Some(reason.to_string()), difference: None, runs: Vec::new() }
    }
}

fn store_of<'a>(funcs: &[&'a Function]) -> FunctionStore<'a> {
    let mut store = FunctionStore::default();
    let mut seen = BTreeSet::new();
    for f in funcs {
        let n = f.name.to_string();
        if seen.insert(n.clone()) {
            store.add(n, f);
        }
    }
    store
}

/// Indices of `funcs` in DFS post-order of the direct-call graph (roots in input
/// order): every function comes after the module functions it calls, except around
/// recursion cycles.
fn callee_first_order(funcs: &[InputFunction]) -> Vec<usize> {
    let index: std::collections::HashMap<&str, usize> = funcs.iter().enumerate().map(|(i, f)| (f.clif_name.as_str(), i)).collect();
    let callees: Vec<Vec<usize>> = funcs
        .iter()
        .map(|f| {
            let mut out: Vec<usize> = Vec::new();
            for block in f.func.layout.blocks() {
                for inst in f.func.layout.block_insts(block) {
                    if let ir::InstructionData::Call { func_ref, .. } = f.func.dfg.insts[inst] {
                        let name = f.func.dfg.ext_funcs[func_ref].name.display(Some(&f.func.params)).to_string();
                        if let Some(&j) = index.get(name.as_str()) {
                            if !out.contains(&j) {
                                out.push(j);
                            }
                        }
                    }
                }
            }
            out
        })
        .collect();
    let mut seen = vec![false; funcs.len()];
    let mut order = Vec::with_capacity(funcs.len());
    for root in 0..funcs.len() {
        if seen[root] {
            continue;
        }
        seen[root] = true;
        let mut stack = vec![(root, 0usize)];
        while let Some((v, next)) = stack.last_mut() {
            let v = *v;
            if let Some(&w) = callees[v].get(*next) {
                *next += 1;
                if !seen[w] {
                    seen[w] = true;
                    stack.push((w, 0));
                }
            } else {
                order.push(v);
                stack.pop();
            }
        }
    }
    order
}

/// Whether `wanted` names `f`: its name, CLIF name, `%`name or object symbol.
fn selects(wanted: &str, f: &InputFunction, symbol: Option<&str>) -> bool {
    wanted == f.name || wanted == f.clif_name || format!("%{wanted}") == f.clif_name || Some(wanted) == symbol
}

/// `u0:12` → 12 (the wasm function index of a translated function).
fn wasm_index(clif_name: &str) -> Option<u32> {
    clif_name.strip_prefix("u0:")?.parse().ok()
}

#[allow(clippy::too_many_arguments)]
fn compare_function<'a>(
    f: &'a InputFunction,
    after: &'a Function,
    before_store: &FunctionStore<'a>,
    after_store: &FunctionStore<'a>,
    images: &[SandboxImage; 2],
    limits: &Limits,
    budget: &mut u64,
    seed: u64,
) -> FunctionReport {
    let params = &f.func.signature.params;
    if let Some(p) = params.iter().find(|p| p.purpose != ArgumentPurpose::VMContext && !supported_type(p.value_type)) {
        return FunctionReport::skipped(&format!("parameter type {} is not probed", p.value_type));
    }
    let mut rng = SplitMix64(seed);
    let mut seen: Vec<(u64, Vec<DataValue>)> = Vec::new();
    let mut report = FunctionReport { status: "not_covered", compared: 0, not_covered: 0, reason: None, difference: None, runs: Vec::new() };
    let mut reasons: Vec<String> = Vec::new();
    for probe in 0..limits.probes {
        let image = &images[(probe % 2) as usize];
        let args = probe_args(params, probe, image, &mut rng);
        if seen.contains(&(probe % 2, args.clone())) {
            continue; // e.g. a function without parameters: one run per image says it all
        }
        seen.push((probe % 2, args.clone()));
        let shown_args = args_json(params, &args);
        let mut run = Map::new();
        run.insert("args".into(), shown_args);
        if *budget < limits.fuel * 3 {
            let why = "the request's total fuel is spent".to_string();
            skip_run(&mut report, &mut reasons, run, why);
            continue;
        }
        let b = run_function(before_store, image, &f.func, args.clone(), limits.fuel);
        *budget -= b.fuel_used;
        run.insert("before".into(), outcome_json(&b));
        let not_covered = match &b.outcome {
            Outcome::Unsupported(why) => Some(format!("BEFORE cannot run in the sandbox: {why}")),
            Outcome::FuelExhausted => Some(format!("BEFORE did not finish within {} instructions", limits.fuel)),
            _ => None,
        };
        if let Some(why) = not_covered {
            skip_run(&mut report, &mut reasons, run, why);
            continue;
        }
        let a = run_function(after_store, image, after, args.clone(), limits.fuel * 2);
        *budget = budget.saturating_sub(a.fuel_used);
        run.insert("after".into(), outcome_json(&a));
        if let Outcome::Unsupported(why) = &a.outcome {
            let why = format!("AFTER cannot run in the sandbox: {why}");
            skip_run(&mut report, &mut reasons, run, why);
            continue;
        }
        let diffs = differences(&b, &a, image, limits.fuel * 2);
        report.compared += 1;
        if diffs.is_empty() {
            run.insert("status".into(), "same".into());
            report.runs.push(Value::Object(run));
            continue;
        }
        run.insert("status".into(), "differs".into());
        run.insert("differences".into(), json!(diffs));
        report.difference = Some(json!({
            "args": args_json(params, &args),
            "differences": diffs,
            "before": outcome_json(&b),
            "after": outcome_json(&a),
        }));
        report.status = "differs";
        report.runs.push(Value::Object(run));
        return report;
    }
    if report.compared > 0 {
        report.status = "compared";
    } else {
        reasons.dedup();
        report.reason = Some(reasons.first().cloned().unwrap_or_else(|| "no run".into()));
    }
    report
}

/// Records `run` as not covered, for `why`.
fn skip_run(report: &mut FunctionReport, reasons: &mut Vec<String>, mut run: Map<String, Value>, why: String) {
    run.insert("status".into(), "not_covered".into());
    run.insert("reason".into(), why.clone().into());
    reasons.push(why);
    report.not_covered += 1;
    report.runs.push(Value::Object(run));
}

fn supported_type(t: ir::Type) -> bool {
    matches!(t, ir::types::I8 | ir::types::I16 | ir::types::I32 | ir::types::I64 | ir::types::F32 | ir::types::F64)
}

/// Argument vector `probe` for `params` (k = index among the non-vmctx parameters):
/// 0 all zeros, 1 all ones, 2 small distinct integers, 3 arena pointers (64 bytes
/// apart) at even k and small counts at odd k, 4 the other way round (so that both
/// `f(ptr, n)` and `f(n, ptr)` get a buffer and a length), 5 large bit patterns (golden
/// ratio multiples: high bits set), then seeded mixes of small integers, arena and data
/// pointers and arbitrary 32-bit values. `vmctx` is always the sandbox's. Floats: 0, 1,
/// ±2.5…, 1000, 0.5, -1e-3, then seeded values in [-100, 100).
fn probe_args(params: &[ir::AbiParam], probe: u64, image: &SandboxImage, rng: &mut SplitMix64) -> Vec<DataValue> {
    let (arena_start, arena_end) = (image.arena.0 as u64, image.arena.1 as u64);
    let mut out = Vec::with_capacity(params.len());
    let mut k = 0u64; // index among the non-vmctx parameters
    for p in params {
        if p.purpose == ArgumentPurpose::VMContext {
            out.push(SandboxImage::vmctx_value());
            continue;
        }
        let ty = p.value_type;
        if ty.is_float() {
            let x = match probe {
                0 => 0.0,
                1 => 1.0,
                2 => if k % 2 == 0 { 2.5 + k as f64 } else { -3.75 - k as f64 },
                3 => 1000.0,
                4 => 0.5,
                5 => -1e-3,
                _ => (rng.below(20_000) as f64 - 10_000.0) / 100.0,
            };
            out.push(if ty == ir::types::F32 { DataValue::F32(Ieee32::with_float(x as f32)) } else { DataValue::F64(Ieee64::with_float(x)) });
        } else {
            const SMALL: [u64; 8] = [3, 2, 7, 5, 11, 4, 9, 6];
            let v: u64 = match probe {
                0 => 0,
                1 => 1,
                2 => SMALL[(k % 8) as usize],
                3 | 4 if (k % 2 == 0) == (probe == 3) => (arena_start + 64 * k).min(arena_end.saturating_sub(64)),
                3 | 4 => SMALL[(k % 8) as usize] + 5,
                5 => 0x9E37_79B9_7F4A_7C15u64.wrapping_mul(k + 1),
                _ => match rng.below(100) {
                    0..=39 => rng.below(32),
                    40..=69 if arena_end > arena_start + 8 => (arena_start + rng.below(arena_end - arena_start - 8)) & !7,
                    70..=84 if image.data_end > 8 => rng.below(image.data_end as u64 - 4) & !3,
                    _ => rng.next() & 0xffff_ffff,
                },
            };
            out.push(DataValue::from_integer(v as i128, ty).expect("integer parameter types are checked by the caller"));
        }
        k += 1;
    }
    out
}

/// Arguments as JSON, the vmctx one marked `"vmctx": true`.
fn args_json(params: &[ir::AbiParam], args: &[DataValue]) -> Value {
    Value::Array(
        params
            .iter()
            .zip(args)
            .map(|(p, a)| {
                let mut v = value_json(a);
                if p.purpose == ArgumentPurpose::VMContext {
                    v["vmctx"] = true.into();
                }
                v
            })
            .collect(),
    )
}

fn value_json(v: &DataValue) -> Value {
    json!({"type": v.ty().to_string(), "value": v.to_string()})
}

fn values_text(vs: &[DataValue]) -> String {
    vs.iter().map(|v| format!("{} {}", v.ty(), v)).collect::<Vec<_>>().join(", ")
}

fn outcome_json(r: &RunResult) -> Value {
    let mut o = match &r.outcome {
        Outcome::Returned(vs) => json!({"status": "returned", "values": vs.iter().map(value_json).collect::<Vec<_>>()}),
        Outcome::Trapped(t) => json!({"status": "trapped", "trap": t}),
        Outcome::FuelExhausted => json!({"status": "fuel_exhausted"}),
        Outcome::Unsupported(why) => json!({"status": "unsupported", "error": why}),
    };
    let m = o.as_object_mut().expect("object");
    m.insert("fuel_used".into(), r.fuel_used.into());
    if matches!(r.outcome, Outcome::Returned(_) | Outcome::Trapped(_)) {
        m.insert("memory_digest".into(), sha256_hex(&r.memory).into());
        m.insert("globals_digest".into(), sha256_hex(&r.vmctx).into());
        m.insert("output_bytes".into(), r.output.len().into());
        m.insert("output_digest".into(), sha256_hex(&r.output).into());
        if !r.stubs_called.is_empty() {
            m.insert("stubs".into(), json!(r.stubs_called));
        }
    }
    o
}

fn outcome_text(o: &Outcome) -> String {
    match o {
        Outcome::Returned(vs) if vs.is_empty() => "returned".into(),
        Outcome::Returned(vs) => format!("returned {}", values_text(vs)),
        Outcome::Trapped(t) => format!("trapped ({t})"),
        Outcome::FuelExhausted => "ran out of fuel".into(),
        Outcome::Unsupported(why) => format!("could not run ({why})"),
    }
}

/// NaN payloads are nondeterministic in wasm: two NaNs of the same type are equal.
fn same_values(a: &[DataValue], b: &[DataValue]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| match (x, y) {
            (DataValue::F32(p), DataValue::F32(q)) => p == q || (p.as_f32().is_nan() && q.as_f32().is_nan()),
            (DataValue::F64(p), DataValue::F64(q)) => p == q || (p.as_f64().is_nan() && q.as_f64().is_nan()),
            _ => x == y,
        })
}

/// What differs between a BEFORE run `b` (returned or trapped) and an AFTER run `a`,
/// each as one sentence naming the values; empty when they agree.
fn differences(b: &RunResult, a: &RunResult, image: &SandboxImage, after_fuel: u64) -> Vec<String> {
    let mut out = Vec::new();
    match (&b.outcome, &a.outcome) {
        (Outcome::Returned(x), Outcome::Returned(y)) => {
            if !same_values(x, y) {
                out.push(format!("return values: before {}, after {}", values_text(x), values_text(y)));
            }
        }
        (Outcome::Trapped(x), Outcome::Trapped(y)) if x == y => {}
        (_, Outcome::FuelExhausted) => {
            out.push(format!(
                "termination: before {} after {} instructions, after did not finish within {after_fuel}",
                outcome_text(&b.outcome),
                b.fuel_used
            ));
            return out; // memory of an unfinished run says nothing
        }
        (x, y) => out.push(format!("outcome: before {}, after {}", outcome_text(x), outcome_text(y))),
    }
    if b.memory != a.memory {
        let diff: Vec<usize> = b.memory.iter().zip(&a.memory).enumerate().filter(|(_, (p, q))| p != q).map(|(i, _)| i).collect();
        let first = diff[0];
        let end = (first + 8).min(b.memory.len());
        out.push(format!(
            "memory: {} byte(s) differ, first at offset {first:#x}: before {}, after {}",
            diff.len(),
            hex(&b.memory[first..end]),
            hex(&a.memory[first..end])
        ));
    }
    for (i, name) in image.global_names.iter().enumerate() {
        let (x, y) = (&b.vmctx[8 + 8 * i..16 + 8 * i], &a.vmctx[8 + 8 * i..16 + 8 * i]);
        if x != y {
            out.push(format!(
                "global {i} ({name}): before {:#x}, after {:#x}",
                u64::from_le_bytes(x.try_into().expect("8 bytes")),
                u64::from_le_bytes(y.try_into().expect("8 bytes"))
            ));
        }
    }
    if b.output != a.output {
        out.push(format!(
            "output: before {} byte(s) {:?}, after {} byte(s) {:?}",
            b.output.len(),
            clip(&b.output),
            a.output.len(),
            clip(&a.output)
        ));
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ")
}

fn clip(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(&bytes[..bytes.len().min(80)]).into_owned();
    if bytes.len() > 80 { format!("{s}…") } else { s }
}
