//! serde describes a value that does not fit in terms of Rust types
//! (`expected usize`). Someone editing a TOML file needs TOML's terms: what
//! to write instead, and what they wrote, the way they wrote it.

/// One line for the person editing the file.
pub(super) fn explain(message: &str) -> String {
    let message = message.trim().replace('\n', " ");
    mismatch(&message)
        .or_else(|| unknown_variant(&message))
        .or_else(|| missing_field(&message))
        .unwrap_or(message)
}

/// `invalid type: string "five", expected usize` and its `invalid value` twin.
fn mismatch(message: &str) -> Option<String> {
    let (rest, out_of_range) = match message.strip_prefix("invalid type: ") {
        Some(rest) => (rest, false),
        None => (message.strip_prefix("invalid value: ")?, true),
    };
    // A quoted value may itself contain ", expected "; serde's own part is last.
    let (found, expected) = rest.rsplit_once(", expected ")?;
    let wanted = match (out_of_range, whole_number_range(expected)) {
        (true, Some(range)) => format!("a whole number {range}"),
        _ => wanted(expected),
    };
    Some(format!("expected {wanted}, found {}", as_written(found)))
}

/// What serde's `expected` means in a TOML file.
fn wanted(expected: &str) -> String {
    let words = match expected {
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" | "u8" | "u16" | "u32" | "u64" | "u128"
        | "usize" => "a whole number",
        "f32" | "f64" => "a number",
        "a boolean" => "true or false",
        "a string" | "a borrowed string" | "a character" => "text in quotes",
        "a sequence" => "a list",
        "a map" => "a table",
        // The config's enums are all written as a word in quotes.
        e if e.starts_with("enum ") => "text in quotes",
        e if e.starts_with("struct ") => "a table",
        other => return other.to_string(),
    };
    words.to_string()
}

/// For a whole number that is too big or negative: what fits.
fn whole_number_range(expected: &str) -> Option<&'static str> {
    Some(match expected {
        "u8" => "from 0 to 255",
        "u16" => "from 0 to 65535",
        "u32" => "from 0 to 4294967295",
        "u64" | "usize" => "of 0 or more",
        "i32" => "from -2147483648 to 2147483647",
        _ => return None,
    })
}

/// serde's `Unexpected` as the value looks in TOML: `string "five"` is
/// `"five"`, ``integer `5` `` is `5`.
fn as_written(found: &str) -> String {
    if let Some(text) = found.strip_prefix("string ") {
        return text.to_string();
    }
    for kind in ["integer ", "floating point ", "boolean "] {
        if let Some(value) = found.strip_prefix(kind) {
            return value.trim_matches('`').to_string();
        }
    }
    match found {
        "sequence" => "a list".into(),
        "map" => "a table".into(),
        other => other.to_string(),
    }
}

/// `unknown variant `pigeon`, expected `outbox` or `smtp``.
fn unknown_variant(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown variant ")?;
    let (found, allowed) = rest.rsplit_once(", expected ")?;
    Some(format!(
        "expected {}, found {}",
        allowed.replace('`', "\""),
        quoted(untick(found))
    ))
}

/// A value as a TOML basic string: in double quotes, with quotes,
/// backslashes and control characters escaped, so a message stays one line.
pub(super) fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `missing field `url``.
fn missing_field(message: &str) -> Option<String> {
    let field = message.strip_prefix("missing field ")?;
    Some(format!("missing field {}", untick(field)))
}

fn untick(s: &str) -> &str {
    s.strip_prefix('`')
        .and_then(|s| s.strip_suffix('`'))
        .unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::explain;

    #[test]
    fn types_are_named_as_toml_writes_them() {
        let cases = [
            (
                r#"invalid type: string "five", expected usize"#,
                r#"expected a whole number, found "five""#,
            ),
            (
                "invalid type: floating point `2.5`, expected usize",
                "expected a whole number, found 2.5",
            ),
            (
                r#"invalid type: string "x", expected f64"#,
                r#"expected a number, found "x""#,
            ),
            (
                r#"invalid type: string "yes", expected a boolean"#,
                r#"expected true or false, found "yes""#,
            ),
            (
                "invalid type: integer `5`, expected a string",
                "expected text in quotes, found 5",
            ),
            (
                "invalid type: boolean `true`, expected a string",
                "expected text in quotes, found true",
            ),
            (
                r#"invalid type: string "a", expected a sequence"#,
                r#"expected a list, found "a""#,
            ),
            (
                "invalid type: sequence, expected struct PickSettings",
                "expected a table, found a list",
            ),
            (
                "invalid type: integer `1`, expected enum TransportKind",
                "expected text in quotes, found 1",
            ),
        ];
        for (serde, ours) in cases {
            assert_eq!(explain(serde), ours, "{serde}");
        }
    }

    #[test]
    fn out_of_range_numbers_say_what_fits() {
        assert_eq!(
            explain("invalid value: integer `70000`, expected u16"),
            "expected a whole number from 0 to 65535, found 70000"
        );
        assert_eq!(
            explain("invalid value: integer `-1`, expected usize"),
            "expected a whole number of 0 or more, found -1"
        );
    }

    #[test]
    fn a_quoted_value_may_look_like_the_message() {
        assert_eq!(
            explain(r#"invalid type: string "a, expected b", expected usize"#),
            r#"expected a whole number, found "a, expected b""#
        );
    }

    #[test]
    fn enums_list_their_values() {
        assert_eq!(
            explain("unknown variant `pigeon`, expected `outbox` or `smtp`"),
            r#"expected "outbox" or "smtp", found "pigeon""#
        );
        assert_eq!(
            explain("unknown variant `ssl`, expected one of `starttls`, `tls`, `none`"),
            r#"expected one of "starttls", "tls", "none", found "ssl""#
        );
    }

    #[test]
    fn a_missing_field_loses_its_backticks() {
        assert_eq!(explain("missing field `url`"), "missing field url");
    }

    #[test]
    fn unknown_fields_keep_serde_words_which_list_the_keys() {
        let serde = "unknown field `timezon`, expected one of `name`, `from`";
        assert_eq!(explain(serde), serde);
    }

    #[test]
    fn other_messages_pass_through_on_one_line() {
        assert_eq!(explain("something\nelse "), "something else");
    }
}
