//! [`ValidationError`]: a request body that breaks a constraint of the spec, caught before
//! anything is sent.

use std::fmt;

use crate::error::FieldRef;
use crate::input::split_qualified;

/// A body field broke one of the spec's constraints (length, pattern, range, a required
/// field not set); nothing was sent. Names the model, the field and the rule, like the API's
/// own 400s, so [`crate::Error::field`] answers the same way for both.
///
/// ```
/// # async fn demo(client: &cro_api::Client) {
/// let address = cro_api::types::CreateCustomerAddressModel::builder().country("USA");
/// let err = client
///     .add_customer_address()
///     .customer_id(1)
///     .body(address)
///     .send()
///     .await
///     .unwrap_err();
/// let field = err.field().unwrap();
/// assert_eq!(field.model(), Some("CreateCustomerAddressModel"));
/// assert_eq!(field.name(), Some("country"));
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    field: FieldRef,
    rule: String,
}

impl ValidationError {
    /// `Model.field`, e.g. `CreateCustomerAddressModel.country`.
    pub fn field(&self) -> &FieldRef {
        &self.field
    }

    /// The schema (model) name, e.g. `CreateCustomerAddressModel`.
    pub fn model(&self) -> &str {
        self.field.model().unwrap_or_default()
    }

    /// The rule the value broke, e.g. `longer than 2 characters`.
    pub fn rule(&self) -> &str {
        &self.rule
    }

    /// Read a message of the generated body builders: `Model.field: rule`, possibly after
    /// progenitor's "conversion to `Model` for body failed: " prefix.
    pub(crate) fn parse(message: &str) -> Option<ValidationError> {
        let message = match message.split_once("` for body failed: ") {
            Some((prefix, rest)) if prefix.starts_with("conversion to `") => rest,
            _ => message,
        };
        let (model, field, rule) = split_qualified(message)?;
        Some(ValidationError {
            field: FieldRef::parse(&format!("{model}.{field}")),
            rule: rule.to_owned(),
        })
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid request: {}: {}; nothing was sent",
            self.field, self.rule
        )
    }
}

impl std::error::Error for ValidationError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_builder_messages() {
        let e = ValidationError::parse(
            "conversion to `CreateCustomerModel` for body failed: CreateCustomerAddressModel.country: longer than 2 characters",
        )
        .unwrap();
        assert_eq!(e.model(), "CreateCustomerAddressModel");
        assert_eq!(e.field().name(), Some("country"));
        assert_eq!(e.rule(), "longer than 2 characters");
        assert!(ValidationError::parse("conversion to `i64` for location_id failed").is_none());
    }
}
