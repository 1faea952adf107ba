//! Config text to `Config`, reporting every problem at once: a TOML syntax
//! error (necessarily alone: nothing after it can be read), else every
//! unknown key (with its full dotted path and the keys allowed there), every
//! value of the wrong type, and every rule the rest breaks.
//!
//! How: the text is parsed to a `toml::Table`, walked against the keys the
//! structs know (taken from a fully populated `Config` serialized, so the
//! list cannot drift from the structs), each value tried on its own into the
//! struct; unknown and ill-typed entries are reported and removed, the rest
//! deserialized (still with `deny_unknown_fields`) and the rules run on it.

use super::{Config, ConfigError, ConfigProblem};

pub(crate) fn parse(text: &str) -> Result<Config, ConfigError> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        let (line, column) = e
            .span()
            .map_or((0, 0), |span| line_column(text, span.start));
        ConfigError {
            problems: vec![ConfigProblem {
                key: format!("(TOML line {line}, column {column})"),
                message: format!("is not valid TOML: {}", e.message()),
            }],
        }
    })?;
    let mut problems = Vec::new();
    let mut bad_keys: Vec<String> = Vec::new();
    let clean = walk(table, &mut problems, &mut bad_keys);
    let config: Config = match toml::Value::Table(clean).try_into() {
        Ok(c) => c,
        Err(e) => {
            // Every entry was checked alone; a clash between entries is the
            // only way here.
            problems.push(ConfigProblem {
                key: "(config)".to_string(),
                message: format!("is not valid: {}", e.message()),
            });
            return Err(ConfigError { problems });
        }
    };
    if let Err(e) = config.validate() {
        // A rule about a key already reported (its default stood in for the
        // bad value) would only repeat the problem.
        problems.extend(
            e.problems
                .into_iter()
                .filter(|p| !bad_keys.contains(&p.key)),
        );
    }
    if problems.is_empty() {
        Ok(config)
    } else {
        Err(ConfigError { problems })
    }
}

/// 1-based line and column of byte `at` in `text`.
fn line_column(text: &str, at: usize) -> (usize, usize) {
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The sections and keys `Config` knows (sorted, as `toml::Table` keeps them).
fn known() -> Vec<(String, Vec<String>)> {
    let mut full = Config::default();
    // Optional fields are skipped when None: give each a value.
    full.exchange.base_url = Some(String::new());
    *full.risk = super::RiskConfig::every_key();
    let Ok(toml::Value::Table(t)) = toml::Value::try_from(&full) else {
        return Vec::new();
    };
    t.into_iter()
        .map(|(section, v)| {
            let keys = match v {
                toml::Value::Table(keys) => keys.keys().cloned().collect(),
                _ => Vec::new(),
            };
            (section, keys)
        })
        .collect()
}

/// Keeps what is known and well typed; reports the rest.
fn walk(
    table: toml::Table,
    problems: &mut Vec<ConfigProblem>,
    bad_keys: &mut Vec<String>,
) -> toml::Table {
    let known = known();
    let sections: Vec<&str> = known.iter().map(|(s, _)| s.as_str()).collect();
    let mut clean = toml::Table::new();
    for (section, value) in table {
        let Some((_, keys)) = known.iter().find(|(s, _)| *s == section) else {
            problems.push(unknown(&section, &sections));
            continue;
        };
        let toml::Value::Table(entries) = value else {
            problems.push(ConfigProblem {
                key: section.clone(),
                message: format!("= {value} must be a table ([{section}])"),
            });
            bad_keys.push(section);
            continue;
        };
        let allowed: Vec<&str> = keys.iter().map(String::as_str).collect();
        let mut kept = toml::Table::new();
        for (key, value) in entries {
            let path = format!("{section}.{key}");
            if !allowed.contains(&key.as_str()) {
                problems.push(unknown(&path, &allowed));
                continue;
            }
            match type_error(&section, &key, &value) {
                Some(why) => {
                    problems.push(ConfigProblem {
                        key: path.clone(),
                        message: format!("= {} is not valid: {why}", shown(&value)),
                    });
                    bad_keys.push(path);
                }
                None => {
                    kept.insert(key, value);
                }
            }
        }
        clean.insert(section, toml::Value::Table(kept));
    }
    clean
}

fn unknown(path: &str, allowed: &[&str]) -> ConfigProblem {
    ConfigProblem {
        key: path.to_string(),
        message: format!("is not a known key (allowed here: {})", allowed.join(", ")),
    }
}

/// Why `section.key = value` does not deserialize, tried alone.
fn type_error(section: &str, key: &str, value: &toml::Value) -> Option<String> {
    let mut entry = toml::Table::new();
    entry.insert(key.to_string(), value.clone());
    let mut one = toml::Table::new();
    one.insert(section.to_string(), toml::Value::Table(entry));
    toml::Value::Table(one)
        .try_into::<Config>()
        .err()
        .map(|e| e.message().to_string())
}

/// A value as written, bounded (a long array stays readable).
fn shown(value: &toml::Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 60 {
        let cut: String = text.chars().take(57).collect();
        format!("{cut}...")
    } else {
        text
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::config::{Config, OrderTransport};

    #[test]
    fn order_transport_is_rest_by_default_and_ws_on_request() {
        let c = Config::from_toml_str("[exchange]\nkind = \"sim\"\n").unwrap();
        assert_eq!(c.exchange.order_transport, OrderTransport::Rest);
        let c = Config::from_toml_str("[exchange]\norder_transport = \"ws\"\n").unwrap();
        assert_eq!(c.exchange.order_transport, OrderTransport::Ws);
        // Kept through the journal's TOML text.
        assert_eq!(Config::from_toml_str(&c.to_toml_string()).unwrap(), c);
    }

    #[test]
    fn a_bad_order_transport_names_the_key_and_the_allowed_values() {
        let e = Config::from_toml_str("[exchange]\norder_transport = \"grpc\"\n").unwrap_err();
        let text = e.to_string();
        assert_eq!(e.problems.len(), 1, "{text}");
        assert!(text.contains("exchange.order_transport"), "{text}");
        assert!(text.contains("\"grpc\""), "{text}");
        assert!(text.contains("`rest`") && text.contains("`ws`"), "{text}");
    }

    #[test]
    fn streams_are_on_by_default_and_off_on_request() {
        let c = Config::from_toml_str("[exchange]\nkind = \"sim\"\n").unwrap();
        assert!(c.exchange.streams);
        let c = Config::from_toml_str("[exchange]\nstreams = false\n").unwrap();
        assert!(!c.exchange.streams);
        // Kept through the journal's TOML text.
        assert_eq!(Config::from_toml_str(&c.to_toml_string()).unwrap(), c);
    }

    #[test]
    fn reconcile_interval_defaults_to_2_s_and_is_bounded() {
        let c = Config::from_toml_str("[exchange]\nkind = \"sim\"\n").unwrap();
        assert_eq!(c.exchange.reconcile_interval_ms, 2000);
        let c = Config::from_toml_str("[exchange]\nreconcile_interval_ms = 500\n").unwrap();
        assert_eq!(c.exchange.reconcile_interval_ms, 500);
        assert_eq!(Config::from_toml_str(&c.to_toml_string()).unwrap(), c);
        for bad in ["0", "99", "600001"] {
            let e = Config::from_toml_str(&format!("[exchange]\nreconcile_interval_ms = {bad}\n"))
                .unwrap_err();
            let text = e.to_string();
            assert_eq!(e.problems.len(), 1, "{text}");
            assert!(text.contains("exchange.reconcile_interval_ms"), "{text}");
        }
    }

    #[test]
    fn streams_must_be_a_bool_and_the_problem_names_the_key() {
        let e = Config::from_toml_str("[exchange]\nstreams = \"yes\"\n").unwrap_err();
        let text = e.to_string();
        assert_eq!(e.problems.len(), 1, "{text}");
        assert!(text.contains("exchange.streams"), "{text}");
        assert!(text.contains("\"yes\""), "{text}");
    }
}
