//! Building paged requests from textual parameters.
//!
//! [`with_paged_request`](crate::with_paged_request) (generated) takes an `operationId` and a
//! [`Params`] map, and uses the helpers below to validate and convert each value to the exact
//! type of the builder setter. Errors name the operation and the parameter.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::str::FromStr;

/// Parameter values by wire name (`location_id`, `created_on_gte`, ...), as text.
pub type Params = BTreeMap<String, String>;

/// Query parameters owned by the pager.
const PAGING_PARAMS: &[&str] = &["page_index", "page_limit"];

/// A parameter map that does not fit the operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParamError {
    /// No operation has this `operationId`.
    #[error("unknown operation `{operation}`")]
    UnknownOperation {
        /// The `operationId` asked for.
        operation: String,
    },
    /// The operation exists but is not a paged list.
    #[error("operation `{operation}` is not a paged list")]
    NotPaged {
        /// The `operationId` asked for.
        operation: String,
    },
    /// The operation has no such path parameter or filter.
    #[error("operation `{operation}` has no parameter `{parameter}` (accepted: {accepted})")]
    UnknownParameter {
        /// The `operationId`.
        operation: String,
        /// The offending name.
        parameter: String,
        /// Comma-separated accepted names, or `none`.
        accepted: String,
    },
    /// `page_index`/`page_limit` were given; the pager sets those.
    #[error(
        "parameter `{parameter}` of operation `{operation}` is set by the pager, not by the caller"
    )]
    PagingParameter {
        /// The `operationId`.
        operation: String,
        /// `page_index` or `page_limit`.
        parameter: String,
    },
    /// A path parameter is missing.
    #[error("operation `{operation}` needs the path parameter `{parameter}`")]
    MissingPathParameter {
        /// The `operationId`.
        operation: String,
        /// The missing path parameter.
        parameter: String,
    },
    /// A value could not be converted to the parameter's type.
    #[error(
        "parameter `{parameter}` of operation `{operation}`: `{value}` is not {expected} ({reason})"
    )]
    InvalidValue {
        /// The `operationId`.
        operation: String,
        /// The parameter's wire name.
        parameter: String,
        /// The value as given.
        value: String,
        /// What was expected (`an integer`, `a boolean`, ...).
        expected: &'static str,
        /// Why the conversion failed.
        reason: String,
    },
}

/// Reject names that are neither path parameters nor filters of the operation.
pub fn check_names(
    operation: &str,
    params: &Params,
    path_params: &[&str],
    filters: &[&str],
) -> Result<(), ParamError> {
    for name in params.keys() {
        if PAGING_PARAMS.contains(&name.as_str()) {
            return Err(ParamError::PagingParameter {
                operation: operation.to_owned(),
                parameter: name.clone(),
            });
        }
        if !path_params.contains(&name.as_str()) && !filters.contains(&name.as_str()) {
            let accepted: Vec<&str> = path_params.iter().chain(filters).copied().collect();
            return Err(ParamError::UnknownParameter {
                operation: operation.to_owned(),
                parameter: name.clone(),
                accepted: if accepted.is_empty() {
                    "none".to_owned()
                } else {
                    accepted.join(", ")
                },
            });
        }
    }
    Ok(())
}

/// The value of a path parameter, which must be present.
pub fn required<'p>(
    operation: &str,
    params: &'p Params,
    name: &str,
) -> Result<&'p str, ParamError> {
    params
        .get(name)
        .map(String::as_str)
        .ok_or_else(|| ParamError::MissingPathParameter {
            operation: operation.to_owned(),
            parameter: name.to_owned(),
        })
}

/// The error for an `operationId` that has no paged request: unknown, or not paged.
pub fn not_paged(operation: &str) -> ParamError {
    match cro_api::meta::Operation::find(operation) {
        Some(_) => ParamError::NotPaged {
            operation: operation.to_owned(),
        },
        None => ParamError::UnknownOperation {
            operation: operation.to_owned(),
        },
    }
}

/// Parse a decimal integer into the setter's integer type (`i64`, `NonZeroU64`, ...).
pub fn parse_integer<T>(operation: &str, parameter: &str, value: &str) -> Result<T, ParamError>
where
    T: FromStr,
    T::Err: Display,
{
    value
        .trim()
        .parse()
        .map_err(|e: T::Err| invalid(operation, parameter, value, "an integer", e))
}

/// Parse a decimal number into the setter's number type (`f64`, ...).
pub fn parse_number<T>(operation: &str, parameter: &str, value: &str) -> Result<T, ParamError>
where
    T: FromStr,
    T::Err: Display,
{
    value
        .trim()
        .parse()
        .map_err(|e: T::Err| invalid(operation, parameter, value, "a number", e))
}

/// Parse `true`/`false`/`1`/`0` (any case), the forms the API itself accepts.
pub fn parse_boolean<T: From<bool>>(
    operation: &str,
    parameter: &str,
    value: &str,
) -> Result<T, ParamError> {
    let trimmed = value.trim();
    if trimmed.eq_ignore_ascii_case("true") || trimmed == "1" {
        Ok(T::from(true))
    } else if trimmed.eq_ignore_ascii_case("false") || trimmed == "0" {
        Ok(T::from(false))
    } else {
        Err(invalid(
            operation,
            parameter,
            value,
            "a boolean",
            "use true, false, 1 or 0",
        ))
    }
}

/// Convert text to the setter's type (`String`, `Timestamp`, a constrained-string newtype, an
/// enum, `Uuid`), validating it now rather than at `send()`.
pub fn parse_text<T, E>(operation: &str, parameter: &str, value: &str) -> Result<T, ParamError>
where
    T: for<'s> TryFrom<&'s str, Error = E>,
    E: Display,
{
    T::try_from(value).map_err(|e| invalid(operation, parameter, value, "valid", e))
}

fn invalid(
    operation: &str,
    parameter: &str,
    value: &str,
    expected: &'static str,
    reason: impl Display,
) -> ParamError {
    ParamError::InvalidValue {
        operation: operation.to_owned(),
        parameter: parameter.to_owned(),
        value: value.to_owned(),
        expected,
        reason: reason.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::num::NonZeroU64;

    #[test]
    fn booleans_accept_the_api_forms() {
        for (text, expected) in [
            ("true", true),
            ("TRUE", true),
            ("1", true),
            ("False", false),
            ("0", false),
        ] {
            assert_eq!(
                parse_boolean::<bool>("op", "p", text),
                Ok(expected),
                "{text}"
            );
        }
        let err = parse_boolean::<bool>("list_customers", "active", "yes").unwrap_err();
        assert_eq!(
            err.to_string(),
            "parameter `active` of operation `list_customers`: `yes` is not a boolean (use true, false, 1 or 0)"
        );
    }

    #[test]
    fn integers_parse_into_the_setter_type() {
        assert_eq!(parse_integer::<i64>("op", "p", " -3 "), Ok(-3));
        assert!(parse_integer::<NonZeroU64>("op", "p", "0").is_err());
        assert!(matches!(
            parse_integer::<i64>("op", "location_id", "x1"),
            Err(ParamError::InvalidValue {
                expected: "an integer",
                ..
            })
        ));
    }

    #[test]
    fn text_is_validated_by_the_target_type() {
        assert_eq!(
            parse_text::<String, _>("op", "p", "a b"),
            Ok("a b".to_owned())
        );
        assert!(parse_text::<cro_api::Timestamp, _>("op", "created_on_gte", "2022-02-30").is_err());
    }

    #[test]
    fn names_are_checked() {
        let params: Params = [("page_index".to_owned(), "2".to_owned())].into();
        assert!(matches!(
            check_names("op", &params, &[], &[]),
            Err(ParamError::PagingParameter { .. })
        ));
        let params: Params = [("nope".to_owned(), "2".to_owned())].into();
        let err = check_names("op", &params, &["location_id"], &["name"]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "operation `op` has no parameter `nope` (accepted: location_id, name)"
        );
        assert!(matches!(
            required("op", &Params::new(), "location_id"),
            Err(ParamError::MissingPathParameter { .. })
        ));
    }
}
