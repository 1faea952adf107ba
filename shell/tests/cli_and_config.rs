//! Bad CLI input and bad configs: a clear message and a non-zero exit;
//! `mm check-config` lists every problem; the live journal replays to the
//! exact same log bytes, and a damaged one names its frame and offset.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;

const T: Duration = Duration::from_secs(60);

fn mm_out(args: &[&str]) -> Output {
    let mut c = mm();
    c.args(args);
    run(c, T)
}

#[test]
fn bad_cli_input_is_refused_with_a_message() {
    for (args, needle) in [
        (
            vec!["run", "--ticks", "abc"],
            "invalid value 'abc' for '--ticks <N>'",
        ),
        (vec!["run", "--ticks", "0"], "--ticks <N>"),
        (vec!["run", "--sim-tier", "gold"], "gold"),
        (vec!["run", "--sim-fills", "maybe"], "expected on or off"),
        (vec!["run", "--sim-faults", "5xx=2"], "5xx"),
        (
            vec!["run", "--frobnicate"],
            "unexpected argument '--frobnicate'",
        ),
        (vec!["frobnicate"], "unrecognized subcommand 'frobnicate'"),
        (vec!["replay"], "JOURNAL"),
    ] {
        let out = mm_out(&args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains(needle),
            "{args:?}: want {needle:?} in:\n{}",
            out.stderr
        );
    }
}

/// `mm --help`, `mm run --help` and `mm replay --help` say what each exit
/// status means, in the README's words, and the codes are the ones the
/// code returns (`mm_shell::exit_codes`).
#[test]
fn help_documents_the_exit_codes_as_the_readme_does() {
    use mm_shell::exit_codes::*;
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let run_codes = [
        (CLEAN, "clean"),
        (PROBLEM, "ended with a problem"),
        (USAGE, "bad usage, config or files"),
        (FATAL, "a fatal refusal by the exchange"),
    ];
    for args in [vec!["--help"], vec!["run", "--help"]] {
        let out = mm_out(&args);
        assert_eq!(out.code, 0, "{args:?}");
        for (code, words) in run_codes {
            let line = format!("  {code}  {words}");
            assert!(
                out.stdout.contains(&line),
                "{args:?}: {line:?} in:\n{}",
                out.stdout
            );
            assert!(
                readme.contains(&format!("{code} {words}")),
                "README: {code} {words}"
            );
        }
    }
    let replay_codes = [
        (REPLAY_FINISHED, "finished", "a finished journal"),
        (REPLAY_DAMAGED, "damaged", "damaged"),
        (REPLAY_USAGE, "usage", "usage"),
        (REPLAY_UNFINISHED, "unfinished", "unfinished"),
    ];
    let out = mm_out(&["replay", "--help"]);
    for (code, help, readme_words) in replay_codes {
        let line = format!("  {code}  {help}");
        assert!(out.stdout.contains(&line), "{line:?} in:\n{}", out.stdout);
        assert!(
            readme.contains(&format!("{code} {readme_words}")),
            "README: {code} {readme_words}"
        );
    }
    assert_eq!((CLEAN, PROBLEM, USAGE, FATAL), (0, 1, 2, 3));
}

#[test]
fn help_mentions_the_credential_variables_but_no_values() {
    let mut c = mm();
    c.args(["run", "--help"])
        .env("BYBIT_API_KEY", "help-key-VALUE-123")
        .env("BYBIT_API_SECRET", "help-secret-VALUE-456");
    let out = run(c, T);
    assert_eq!(out.code, 0);
    assert!(!out.stdout.contains("VALUE") && !out.stderr.contains("VALUE"));
}

#[test]
fn missing_or_bad_config_is_refused_naming_the_problem() {
    let dir = tmp();
    let missing = p(dir.path(), "nope.toml");
    let out = mm_out(&["run", "--config", missing.to_str().unwrap()]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("cannot read") && out.stderr.contains("nope.toml"),
        "{}",
        out.stderr
    );

    let typo = p(dir.path(), "typo.toml");
    write(&typo, "[async_batch]\nenabeld = false\n");
    let out = mm_out(&["run", "--config", typo.to_str().unwrap()]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("enabeld"), "{}", out.stderr);

    let bad = p(dir.path(), "bad.toml");
    write(
        &bad,
        "[async_batch]\nmax_batch_size = 50\n[quoting]\nlevels = 0\n",
    );
    let out = mm_out(&["run", "--config", bad.to_str().unwrap()]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("async_batch.max_batch_size") && out.stderr.contains("quoting.levels"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_config_over_one_mib_is_refused_without_reading_it_all() {
    // /dev/zero never ends: before the size limit, check-config read it for
    // gigabytes. The 20 s bound only guards against that hang.
    for args in [
        &["check-config", "/dev/zero"][..],
        &["run", "--config", "/dev/zero"][..],
    ] {
        let mut c = mm();
        c.args(args);
        let out = run(c, Duration::from_secs(20));
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains("/dev/zero") && out.stderr.contains("larger than 1 MiB"),
            "{args:?}: {}",
            out.stderr
        );
    }
}

/// `mm check-config` on a bybit config with this base URL and [metrics] text.
fn check_bybit(dir: &std::path::Path, base_url: &str, metrics: &str) -> Output {
    let cfg = p(dir, "hosts.toml");
    write(
        &cfg,
        &format!(
            "[exchange]\nkind = \"bybit\"\nbase_url = \"{base_url}\"\n[quoting]\nsymbols = [\"BTCUSDT\"]\norder_qty = \"0.001\"\n[metrics]\n{metrics}\n"
        ),
    );
    mm_out(&["check-config", cfg.to_str().unwrap()])
}

#[test]
fn plain_http_only_to_a_host_that_is_itself_loopback() {
    let dir = tmp();
    let m = "addr = \"127.0.0.1:0\"";
    for ok in [
        "http://localhost/",
        "http://[::1]:8080",
        "http://127.0.0.1:18121",
        "https://api.bybit.com",
    ] {
        let out = check_bybit(dir.path(), ok, m);
        assert_eq!(out.code, 0, "{ok}: {}", out.stderr);
    }
    for (bad, why) in [
        ("http://127.0.0.1:1@localhost:18121", "user or password"),
        ("http://127.attacker.example", "127.attacker.example"),
        ("https://user:pw@api.bybit.com", "user or password"),
    ] {
        let out = check_bybit(dir.path(), bad, m);
        assert_eq!(out.code, 2, "{bad}: {}", out.stderr);
        assert!(
            out.stderr.contains("exchange.base_url") && out.stderr.contains(why),
            "{bad}: {}",
            out.stderr
        );
        assert!(
            !out.stderr.contains("pw@"),
            "the password is echoed: {}",
            out.stderr
        );
    }
    // The same rule for a simulator's base URL.
    let sim = p(dir.path(), "sim.toml");
    write(
        &sim,
        "[exchange]\nkind = \"sim\"\nbase_url = \"http://127.attacker.example\"\n",
    );
    let out = mm_out(&["run", "--config", sim.to_str().unwrap()]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("exchange.base_url"), "{}", out.stderr);
}

#[test]
fn metrics_on_a_non_loopback_address_need_the_opt_in() {
    let dir = tmp();
    let url = "https://api.bybit.com";
    let out = check_bybit(dir.path(), url, "addr = \"0.0.0.0:9898\"");
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("metrics.addr") && out.stderr.contains("allow_non_loopback = true"),
        "{}",
        out.stderr
    );
    let opted = "addr = \"0.0.0.0:9898\"\nallow_non_loopback = true";
    assert_eq!(check_bybit(dir.path(), url, opted).code, 0);
    // A command-line override meets the same rule.
    let out = mm_out(&["run", "--metrics-addr", "0.0.0.0:0", "--ticks", "1"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("allow_non_loopback"), "{}", out.stderr);
}

#[test]
fn bybit_without_credentials_refuses_naming_the_variable() {
    let dir = tmp();
    let cfg = p(dir.path(), "bybit.toml");
    write(
        &cfg,
        "[exchange]\nkind = \"bybit\"\nbase_url = \"http://127.0.0.1:9\"\n[quoting]\nsymbols = [\"BTCUSDT\"]\norder_qty = \"0.001\"\n[metrics]\naddr = \"127.0.0.1:0\"\n",
    );
    let out = mm_out(&["run", "--config", cfg.to_str().unwrap()]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("BYBIT_API_KEY") && out.stderr.contains("BYBIT_API_SECRET"),
        "{}",
        out.stderr
    );

    let mut c = mm();
    c.args(["run", "--config", cfg.to_str().unwrap()])
        .env("BYBIT_API_KEY", "k");
    let out = run(c, T);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("BYBIT_API_SECRET not set"),
        "{}",
        out.stderr
    );
}

#[test]
fn check_config_lists_every_problem() {
    let dir = tmp();
    let bad = p(dir.path(), "bad.toml");
    // Two rules broken without instruments, and a size off the sim's qty grid.
    write(
        &bad,
        "[quoting]\nlevels = 0\nsymbols = [\"BTCUSDT\"]\norder_qty = \"0.0015\"\n[async_batch]\nmax_parallel_symbols = 0\n",
    );
    let out = mm_out(&["check-config", bad.to_str().unwrap()]);
    assert_ne!(out.code, 0);
    assert!(
        out.stderr.contains("quoting.levels")
            && out.stderr.contains("async_batch.max_parallel_symbols"),
        "{}",
        out.stderr
    );

    let grid = p(dir.path(), "grid.toml");
    write(
        &grid,
        "[quoting]\nsymbols = [\"BTCUSDT\", \"DOGEUSDT\"]\norder_qty = \"0.0015\"\n",
    );
    let out = mm_out(&["check-config", grid.to_str().unwrap()]);
    assert_ne!(out.code, 0);
    assert!(
        out.stderr.contains("DOGEUSDT") && out.stderr.contains("qty step"),
        "{}",
        out.stderr
    );

    let good = p(dir.path(), "good.toml");
    write(&good, &Seed::default().toml());
    let out = mm_out(&["check-config", good.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("OK"), "{}", out.stdout);

    let bybit = p(dir.path(), "bybit.toml");
    write(
        &bybit,
        "[exchange]\nkind = \"bybit\"\nbase_url = \"https://api.bybit.com\"\n[quoting]\nsymbols = [\"BTCUSDT\"]\norder_qty = \"0.001\"\n",
    );
    let out = mm_out(&["check-config", bybit.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("without instruments"), "{}", out.stdout);
}

#[test]
fn paper_mode_journal_replays_to_the_same_log_bytes() {
    let dir = tmp();
    let journal = p(dir.path(), "s.mmj");
    let log = p(dir.path(), "core.log");
    let mut c = mm();
    c.current_dir(dir.path())
        .args([
            "run",
            "--ticks",
            "12",
            "--sim-latency-ms",
            "1",
            "--metrics-addr",
            "127.0.0.1:0",
        ])
        .arg("--journal")
        .arg(&journal)
        .arg("--log")
        .arg(&log);
    let out = run(c, Duration::from_secs(120));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("mm: ticks"),
        "status line: {}",
        out.stderr
    );
    let live = std::fs::read(&log).unwrap();
    assert!(live.len() > 1000);

    let replayed = p(dir.path(), "replayed.log");
    let mut c = mm();
    c.args([
        "replay",
        journal.to_str().unwrap(),
        "--log",
        replayed.to_str().unwrap(),
    ]);
    let out = run(c, T);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        std::fs::read(&replayed).unwrap() == live,
        "replayed log differs from the live one"
    );

    // To stdout by default.
    let out = mm_out(&["replay", journal.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.as_bytes(), &live[..]);

    // Damaged: a torn last frame.
    let bytes = std::fs::read(&journal).unwrap();
    let torn = p(dir.path(), "torn.mmj");
    std::fs::write(&torn, &bytes[..bytes.len() - 3]).unwrap();
    let torn_log = p(dir.path(), "torn.log");
    let out = mm_out(&[
        "replay",
        torn.to_str().unwrap(),
        "--log",
        torn_log.to_str().unwrap(),
    ]);
    assert_ne!(out.code, 0);
    assert!(
        out.stderr.contains("frame") && out.stderr.contains("offset"),
        "{}",
        out.stderr
    );
    let partial = std::fs::read(&torn_log).unwrap();
    assert!(!partial.is_empty() && live.starts_with(&partial));
}

/// The fields of a status line (`mm: ticks N | tick p50 .. | ...`), if `l` is one.
fn status_fields(l: &str) -> Option<Vec<(String, String)>> {
    let rest = l.strip_prefix("mm: ticks ")?;
    let mut out = Vec::new();
    let (n, rest) = rest.split_once(" | tick p50 ")?;
    out.push(("ticks".to_string(), n.to_string()));
    let (p50, rest) = rest.split_once(" ms p95 ")?;
    out.push(("p50".to_string(), p50.to_string()));
    let (p95, rest) = rest.split_once(" ms | req/tick ")?;
    out.push(("p95".to_string(), p95.to_string()));
    let (req, rest) = rest.split_once(" | live ")?;
    out.push(("req/tick".to_string(), req.to_string()));
    let (live, rest) = rest.split_once(" unknown ")?;
    out.push(("live".to_string(), live.to_string()));
    let (unknown, rest) = rest.split_once(" | rejects ")?;
    out.push(("unknown".to_string(), unknown.to_string()));
    let (rejects, rest) = rest.split_once(" fallbacks ")?;
    out.push(("rejects".to_string(), rejects.to_string()));
    let (fallbacks, rest) = rest.split_once(" | min headroom ")?;
    out.push(("fallbacks".to_string(), fallbacks.to_string()));
    let (headroom, rest) = rest.split_once(" | fills ")?;
    out.push(("headroom".to_string(), headroom.to_string()));
    let (fills, pos) = rest.split_once(" | pos ")?;
    out.push(("fills".to_string(), fills.to_string()));
    out.push(("pos".to_string(), pos.to_string()));
    Some(out)
}

#[test]
fn a_long_run_prints_the_periodic_status_line_with_its_fields() {
    let dir = tmp();
    let mut c = mm();
    c.current_dir(dir.path())
        .args(["run", "--ticks", "10", "--sim-latency-ms", "1"])
        .args(["--metrics-addr", "off", "--status-every-ms", "100"])
        .arg("--journal")
        .arg(p(dir.path(), "j.mmj"))
        .arg("--log")
        .arg(p(dir.path(), "core.log"));
    let out = run(c, Duration::from_secs(120));
    assert_eq!(out.code, 0, "{}", out.stderr);
    // Only lines before shutdown began: the line printed at exit does not count.
    let before: Vec<&str> = out
        .stderr
        .lines()
        .take_while(|l| !l.contains("shutting down"))
        .collect();
    let periodic: Vec<Vec<(String, String)>> =
        before.iter().filter_map(|l| status_fields(l)).collect();
    assert!(
        periodic.len() >= 3,
        "a 2 s run at 100 ms prints status lines while it runs:\n{}",
        out.stderr
    );
    let num = |f: &[(String, String)], k: &str| -> f64 {
        f.iter().find(|(n, _)| n == k).unwrap().1.parse().unwrap()
    };
    let last = periodic.last().unwrap();
    assert!(num(last, "ticks") >= 1.0, "{last:?}");
    assert!(num(last, "p95") >= num(last, "p50"), "{last:?}");
    assert!(num(last, "req/tick") > 0.0, "{last:?}");
    // A gauge: 0 while a reprice has every order in flight (cancel_place,
    // the walk moves every price every tick), so some line, not the last.
    assert!(
        periodic.iter().any(|f| num(f, "live") > 0.0),
        "{periodic:?}"
    );
    for k in ["unknown", "rejects", "fallbacks", "fills"] {
        assert!(num(last, k) >= 0.0, "{k}: {last:?}");
    }
    let headroom = &last.iter().find(|(n, _)| n == "headroom").unwrap().1;
    assert!(
        headroom.ends_with(')') && headroom.contains(" ("),
        "headroom names its endpoint: {headroom}"
    );
    // The counts grow as the run goes on.
    let ticks: Vec<f64> = periodic.iter().map(|f| num(f, "ticks")).collect();
    assert!(ticks.windows(2).all(|w| w[0] <= w[1]), "{ticks:?}");
}

#[test]
fn default_paths_are_runs_session_journal_and_core_log() {
    let dir = tmp();
    let mut c = mm();
    c.current_dir(dir.path()).args([
        "run",
        "--ticks",
        "4",
        "--sim-latency-ms",
        "1",
        "--metrics-addr",
        "off",
    ]);
    let out = run(c, Duration::from_secs(120));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let sid = out
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("mm: session ")?.split(':').next())
        .unwrap()
        .to_string();
    let runs: Vec<String> = std::fs::read_dir(dir.path().join("runs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(runs, vec![sid.clone()], "one session directory");
    let journal = dir.path().join("runs").join(&sid).join("journal.mmj");
    let log = dir.path().join("runs").join(&sid).join("core.log");
    assert!(
        out.stderr.contains(&format!(
            "journal runs/{sid}/journal.mmj, log runs/{sid}/core.log"
        )),
        "{}",
        out.stderr
    );
    let live = std::fs::read(&log).unwrap();
    assert!(!live.is_empty());
    let out = mm_out(&["replay", journal.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.as_bytes() == &live[..],
        "replay differs from the live log"
    );
}
