//! The JSON report (`--json FILE`): the document of [`super::doc`] (`ivconform-report/1`, published as
//! docs/report.schema.json): run metadata, the IUT's hello, per-case outcomes with structured expected and
//! actual values, the rule each failure broke, timings, findings. Field names are stable; new fields may be
//! added; an incompatible change gets a new schema id.

use super::doc::{Meta, RunDoc, SCHEMA};
use super::Report;
use serde_json::{Map, Value};

/// Renders the report as pretty JSON; `timings: false` zeroes every duration and leaves the start time out
/// (for reproducible output).
pub fn render(report: &Report<'_>, timings: bool) -> String {
    render_doc(&RunDoc::of(report, timings))
}

/// Renders a run document as pretty JSON.
pub fn render_doc(doc: &RunDoc) -> String {
    let mut s = serde_json::to_string_pretty(doc).expect("reports serialise");
    s.push('\n');
    s
}

/// The common envelope around another command's report (`props`, `fuzz`, `timing`, `bench`):
/// `{"schema": "ivconform-report/1", "command": COMMAND, "meta": META, ...the body's own fields}`. A body
/// that is not an object goes under `result`.
pub fn envelope(command: &str, meta: &Meta, body: Value) -> Value {
    let mut out = Map::new();
    out.insert("schema".into(), SCHEMA.into());
    out.insert("command".into(), command.into());
    out.insert("meta".into(), serde_json::to_value(meta).unwrap_or(Value::Null));
    match body {
        Value::Object(fields) => {
            for (k, v) in fields {
                if !matches!(k.as_str(), "schema" | "command" | "meta") {
                    out.insert(k, v);
                }
            }
        }
        other => {
            out.insert("result".into(), other);
        }
    }
    Value::Object(out)
}

/// [`envelope`] as pretty JSON with a final newline.
pub fn render_envelope(command: &str, meta: &Meta, body: Value) -> String {
    let mut s = serde_json::to_string_pretty(&envelope(command, meta, body)).expect("reports serialise");
    s.push('\n');
    s
}
