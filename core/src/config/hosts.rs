//! Where metrics may be served (`exchange.base_url`'s rule is in
//! `config_rules`). The metrics address serves unauthenticated text: loopback unless
//! `metrics.allow_non_loopback = true` says otherwise.

use url::Host;

/// Why `addr` (`host:port`) may not serve metrics (`None`: it may).
pub fn metrics_addr_problem(addr: &str, allow_non_loopback: bool) -> Option<String> {
    let Some((host, port)) = addr.rsplit_once(':') else {
        return Some(format!("= {addr:?} must be host:port"));
    };
    if host.is_empty() || port.parse::<u16>().is_err() {
        return Some(format!("= {addr:?} must be host:port"));
    }
    let host = match Host::parse(host) {
        Ok(h) => h,
        Err(e) => return Some(format!("= {addr:?}: host {host:?} does not parse ({e})")),
    };
    if allow_non_loopback || is_loopback(&host) {
        return None;
    }
    Some(format!(
        "= {addr:?} is not a loopback address; metrics are served to anyone who can reach them: set metrics.allow_non_loopback = true to mean it"
    ))
}

/// The host itself is loopback: an IP in 127.0.0.0/8 or ::1, or `localhost`.
fn is_loopback<S: AsRef<str>>(host: &Host<S>) -> bool {
    match host {
        Host::Domain(d) => d.as_ref().eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_listen_on_loopback_unless_opted_in() {
        for ok in [
            "127.0.0.1:9898",
            "127.0.0.1:0",
            "[::1]:9898",
            "localhost:9898",
        ] {
            assert_eq!(metrics_addr_problem(ok, false), None, "{ok}");
        }
        for bad in [
            "0.0.0.0:9898",
            "[::]:9898",
            "192.168.1.5:9898",
            "metrics.example:9898",
        ] {
            let p = metrics_addr_problem(bad, false).unwrap_or_default();
            assert!(
                p.contains("metrics.allow_non_loopback = true"),
                "{bad}: {p:?}"
            );
            assert_eq!(metrics_addr_problem(bad, true), None, "{bad} opted in");
        }
        for bad in ["9898", ":9898", "127.0.0.1:x", "127.0.0.1:70000"] {
            let p = metrics_addr_problem(bad, true).unwrap_or_default();
            assert!(p.contains("host:port"), "{bad}: {p:?}");
        }
    }
}
