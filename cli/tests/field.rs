//! The field report (issue 17): `field/run` installs the pinned real signers (field/requirements.txt, into
//! field/.venv, idempotently), runs each behind its adapter through the sign cases and regenerates
//! docs/FIELD-REPORT.md; here into a scratch file, which must equal the committed report byte for byte (every
//! implementation of the report installs in CI: PyPI, and php, ruby and node from .ci/deps.txt).

use crate::util::{bin, log, require_tool, root, scratch};
use std::process::{Command, Stdio};

#[test]
fn field_report_is_reproduced_by_field_run() {
    require_tool("python3", "python3 python3-venv");
    require_tool("php", "php-cli");
    require_tool("ruby", "ruby");
    require_tool("node", "nodejs");
    let out = scratch("field").join("FIELD-REPORT.md");
    let run = Command::new("bash")
        .arg(root().join("field/run"))
        .arg(&out)
        .env("IVCONFORM", bin())
        .stdin(Stdio::null())
        .output()
        .expect("bash runs field/run");
    assert!(
        run.status.success(),
        "field/run failed (apt-get install -y python3-venv php-cli ruby nodejs):\n{}",
        log(&run)
    );
    let fresh = std::fs::read_to_string(&out).expect("field/run writes the report");
    let committed = std::fs::read_to_string(root().join("docs/FIELD-REPORT.md")).expect("docs/FIELD-REPORT.md");
    if fresh != committed {
        let first = fresh.lines().zip(committed.lines()).position(|(a, b)| a != b);
        panic!(
            "docs/FIELD-REPORT.md is stale: `field/run` regenerates it (first differing line: {:?}; fresh report at {})",
            first.map(|n| n + 1),
            out.display()
        );
    }
    // The report says what it must: every implementation with its counts, and the left-out packages.
    for needle in [
        "django-analytical 3.2.0",
        "django-intercom 0.1.3",
        "Flask-Intercom 0.1.0",
        "hash_hmac",
        "OpenSSL::HMAC",
        "createHmac",
        "## Left out",
        "django-intercom-io 1.0.0",
        "wagtailadminintercom 0.1.1",
        "O&#x27;Brien",
    ] {
        assert!(fresh.contains(needle), "the field report lacks {needle:?}");
    }
}
