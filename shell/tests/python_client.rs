//! `examples/quote_client.py` (standard library only) quotes a paper
//! session over `mm run --quotes`. Needs python3: without it the test says
//! SKIP, except under CI (`CI` set), where it must run.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;
use std::time::Duration;

use common::*;

fn python() -> Option<&'static str> {
    let ok = Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some("python3");
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI is set and python3 is missing: the Python quote client must run here"
    );
    None
}

#[test]
fn the_python_example_quotes_in_paper_mode() {
    let Some(python) = python() else {
        eprintln!("SKIP: python3 not found (outside CI)");
        return;
    };
    let dir = tmp();
    let sock = p(dir.path(), "q.sock");
    let summary = p(dir.path(), "s.json");
    let mut cmd = mm();
    cmd.current_dir(dir.path())
        .args(["run", "--metrics-addr", "off", "--sim-latency-ms", "1"])
        .arg("--quotes")
        .arg(&sock)
        .arg("--summary-json")
        .arg(&summary);
    let mut running = Running::spawn(cmd);
    running.wait_line("taking quote sets on", Duration::from_secs(30));
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/quote_client.py");
    let mut client = Command::new(python);
    client
        .arg(script)
        .arg("--socket")
        .arg(&sock)
        .args(["--seconds", "3"]);
    let out = run(client, Duration::from_secs(60));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("quote_client: quoting BTCUSDT, ETHUSDT, SOLUSDT, XRPUSDT"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("refused 0"), "{}", out.stdout);
    signal(running.child.id(), "-INT");
    let mm_out = running.wait(Duration::from_secs(60));
    assert_eq!(mm_out.code, 0, "{}", mm_out.stderr);
    let s = read_summary(&summary);
    assert!(s.external_quote_sets >= 4, "{s:?}");
    assert_eq!(s.refused_quote_sets, 0, "{s:?}");
    assert!(
        s.commands_by_op.get("place").copied().unwrap_or(0) > 0,
        "{s:?}"
    );
    assert_eq!(s.open_orders_exchange, Some(0), "{s:?}");
}

#[test]
fn quotes_with_a_ladder_config_is_refused_at_start_up() {
    let dir = tmp();
    let cfg = p(dir.path(), "mm.toml");
    write(&cfg, "[exchange]\nkind = \"sim\"\n");
    let mut cmd = mm();
    cmd.current_dir(dir.path())
        .args(["run", "--metrics-addr", "off", "--quotes"])
        .arg(p(dir.path(), "q.sock"))
        .arg("--config")
        .arg(&cfg);
    let out = run(cmd, Duration::from_secs(30));
    assert_ne!(out.code, 0);
    assert!(
        out.stderr
            .contains("--quotes needs quoting.source = \"external\""),
        "{}",
        out.stderr
    );
}
