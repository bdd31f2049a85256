//! Reading loosely typed JSON values: a manifest is read as well as it allows, and what is wrong
//! is said in words.

use serde_json::Value;

/// A JSON value's kind with its article, for messages ("a number", "an array").
pub fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The value when it is a string; empty when it is missing or anything else.
pub fn string_or_empty(value: Option<&Value>) -> String {
    value.and_then(Value::as_str).unwrap_or_default().to_owned()
}

/// The strings of an array, in order, skipping items that are not strings; none when the value
/// is missing or not an array.
pub fn string_items(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn describes_every_kind_with_its_article() {
        let described: Vec<_> = [
            json!(null),
            json!(true),
            json!(1.5),
            json!("x"),
            json!([]),
            json!({}),
        ]
        .iter()
        .map(describe)
        .collect();
        assert_eq!(
            described,
            [
                "null",
                "a boolean",
                "a number",
                "a string",
                "an array",
                "an object"
            ]
        );
    }

    #[test]
    fn reads_a_string_or_nothing() {
        assert_eq!(
            string_or_empty(Some(&json!("reference-db"))),
            "reference-db"
        );
        assert_eq!(string_or_empty(Some(&json!(3))), "");
        assert_eq!(string_or_empty(Some(&json!(["x"]))), "");
        assert_eq!(string_or_empty(None), "");
    }

    #[test]
    fn reads_the_strings_of_an_array() {
        assert_eq!(
            string_items(Some(&json!(["us", 7, null, "eu"]))),
            ["us", "eu"]
        );
        assert!(string_items(Some(&json!("us"))).is_empty());
        assert!(string_items(Some(&json!({"0": "us"}))).is_empty());
        assert!(string_items(None).is_empty());
    }
}
