//! Placeholder: owned by the fake-extras helper.
