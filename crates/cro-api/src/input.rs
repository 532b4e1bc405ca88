//! Plain values into request-body fields: what lets the generated body builders take `&str`
//! and `String` for constrained (newtype) and optional string fields, and builders or values
//! in lists, while keeping every constraint checked before anything is sent.
//!
//! ```
//! use cro_api::types::CreateCustomerAddressModel;
//!
//! let address = CreateCustomerAddressModel::builder()
//!     .line_1("1 Main St")
//!     .locality("Springfield")
//!     .region("IL")
//!     .postcode("62701")
//!     .country("US")
//!     .is_billing(true)
//!     .is_shipping(true)
//!     .latitude(39.8)
//!     .longitude(-89.6);
//! let address = CreateCustomerAddressModel::try_from(address)?;
//! assert_eq!(address.country.as_deref().map(|c| c.as_str()), Some("US"));
//! # Ok::<(), cro_api::types::error::ConversionError>(())
//! ```
//!
//! `cargo xtask codegen` rewrites typify's setters to take [`IntoField`] and emits the impls
//! below for each newtype and list it needs (`types::into_field`); this module only holds the
//! rules, so they are written and tested once.

use std::fmt;

/// A value a body-builder setter accepts for a field of type `T`.
///
/// Implemented for: string newtypes (`CreateCustomerModelName`, ...) from `&str`, `String`
/// and the newtype; their `Option`s from the same plus `Option<&str>` / `Option<String>`;
/// `Option<String>` from `&str` / `String`; `Vec<Model>` from any iterator of models or of
/// their builders. A value that breaks a constraint is an `Err` with the rule
/// (`longer than 2 characters`); the setter adds `Model.field: ` in front.
pub trait IntoField<T> {
    /// Convert, checking the field's constraints.
    fn into_field(self) -> Result<T, String>;
}

/// The message of a local validation failure: `Model.field: rule`, the shape of the API's
/// own 400 reasons, so [`crate::Error::field`] reads it back. A message from a nested model
/// (an address inside a customer) is already qualified and is kept as it is, naming the
/// innermost model and field.
#[doc(hidden)]
pub fn field_error(model: &str, field: &str, error: impl fmt::Display) -> String {
    let text = error.to_string();
    if is_qualified(&text) {
        text
    } else {
        format!("{model}.{field}: {text}")
    }
}

/// `Model.field: rule`, with a capitalised model and a snake_case field.
pub(crate) fn is_qualified(text: &str) -> bool {
    split_qualified(text).is_some()
}

/// `(model, field, rule)` of a `Model.field: rule` message.
pub(crate) fn split_qualified(text: &str) -> Option<(&str, &str, &str)> {
    let (head, rule) = text.split_once(": ")?;
    let (model, field) = head.split_once('.')?;
    let model_ok = model.starts_with(|c: char| c.is_ascii_uppercase())
        && model.chars().all(|c| c.is_ascii_alphanumeric());
    let field_ok = !field.is_empty()
        && field
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.');
    (model_ok && field_ok).then_some((model, field, rule))
}

impl IntoField<Option<String>> for &str {
    fn into_field(self) -> Result<Option<String>, String> {
        Ok(Some(self.to_owned()))
    }
}

impl IntoField<Option<String>> for String {
    fn into_field(self) -> Result<Option<String>, String> {
        Ok(Some(self))
    }
}

impl IntoField<Option<String>> for &String {
    fn into_field(self) -> Result<Option<String>, String> {
        Ok(Some(self.clone()))
    }
}

impl IntoField<Option<String>> for Option<String> {
    fn into_field(self) -> Result<Option<String>, String> {
        Ok(self)
    }
}

impl IntoField<Option<String>> for Option<&str> {
    fn into_field(self) -> Result<Option<String>, String> {
        Ok(self.map(str::to_owned))
    }
}

/// `IntoField` for a validating string newtype `$n` and `Option<$n>`.
#[doc(hidden)]
macro_rules! impl_string_field {
    ($n:ty) => {
        impl $crate::input::IntoField<$n> for $n {
            fn into_field(self) -> ::std::result::Result<$n, ::std::string::String> {
                Ok(self)
            }
        }
        impl $crate::input::IntoField<$n> for &str {
            fn into_field(self) -> ::std::result::Result<$n, ::std::string::String> {
                self.parse::<$n>().map_err(|e| e.to_string())
            }
        }
        impl $crate::input::IntoField<$n> for ::std::string::String {
            fn into_field(self) -> ::std::result::Result<$n, ::std::string::String> {
                self.parse::<$n>().map_err(|e| e.to_string())
            }
        }
        impl $crate::input::IntoField<$n> for &::std::string::String {
            fn into_field(self) -> ::std::result::Result<$n, ::std::string::String> {
                self.parse::<$n>().map_err(|e| e.to_string())
            }
        }
        impl<V> $crate::input::IntoField<::std::option::Option<$n>> for V
        where
            V: $crate::input::IntoField<$n>,
        {
            fn into_field(
                self,
            ) -> ::std::result::Result<::std::option::Option<$n>, ::std::string::String> {
                self.into_field().map(Some)
            }
        }
        impl<V> $crate::input::IntoField<::std::option::Option<$n>> for ::std::option::Option<V>
        where
            V: $crate::input::IntoField<$n>,
        {
            fn into_field(
                self,
            ) -> ::std::result::Result<::std::option::Option<$n>, ::std::string::String> {
                self.map(|v| v.into_field()).transpose()
            }
        }
    };
}
#[doc(hidden)]
pub(crate) use impl_string_field;

/// `IntoField` for a model `$m` (from itself or its builder `$b`) and `Vec<$m>` (from any
/// iterator of either).
#[doc(hidden)]
macro_rules! impl_model_list {
    ($m:ty, $b:ty) => {
        impl $crate::input::IntoField<$m> for $m {
            fn into_field(self) -> ::std::result::Result<$m, ::std::string::String> {
                Ok(self)
            }
        }
        impl $crate::input::IntoField<$m> for $b {
            fn into_field(self) -> ::std::result::Result<$m, ::std::string::String> {
                <$m>::try_from(self).map_err(|e| e.to_string())
            }
        }
        impl<I> $crate::input::IntoField<::std::vec::Vec<$m>> for I
        where
            I: ::std::iter::IntoIterator,
            I::Item: $crate::input::IntoField<$m>,
        {
            fn into_field(
                self,
            ) -> ::std::result::Result<::std::vec::Vec<$m>, ::std::string::String> {
                self.into_iter().map(|item| item.into_field()).collect()
            }
        }
    };
}
#[doc(hidden)]
pub(crate) use impl_model_list;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_model_and_field_once() {
        assert_eq!(
            field_error(
                "CreateCustomerAddressModel",
                "country",
                "longer than 2 characters"
            ),
            "CreateCustomerAddressModel.country: longer than 2 characters"
        );
        let nested = "CreateCustomerAddressModel.country: longer than 2 characters";
        assert_eq!(
            field_error("CreateCustomerModel", "addresses", nested),
            nested
        );
        assert_eq!(
            split_qualified("CreateCustomerModel.name: required, no value given"),
            Some(("CreateCustomerModel", "name", "required, no value given"))
        );
        assert_eq!(split_qualified("location_id was not initialized"), None);
        assert_eq!(split_qualified("Service Unavailable: later"), None);
    }
}
