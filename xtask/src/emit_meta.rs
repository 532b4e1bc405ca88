//! `crates/cro-api/src/generated_meta.rs`: the operation table and the spec's string enums.
//!
//! The types (`Operation`, `QueryParam`, ...) are hand-written in `cro-api/src/meta.rs`; this
//! file only holds the data, so the table can be read at compile time with no parsing.

use anyhow::Result;
use heck::ToUpperCamelCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::model::{Auth, Method, Model, OperationModel, Paging, Param, Tenant};
use crate::render;

/// Path of the emitted file, relative to the workspace root.
pub const PATH: &str = "crates/cro-api/src/generated_meta.rs";

/// Render the file.
pub fn emit(model: &Model) -> Result<String> {
    let operations = model.operations.iter().map(operation);
    let roles = &model.roles;
    let api_versions = &model.api_versions;
    let hook_events = &model.hook_events;
    let latest = &model.latest_api_version;
    let item_keys = model.item_keys.iter().map(|(name, components)| {
        let components = components.iter().map(|names| quote!(&[#(#names),*]));
        quote!((#name, &[#(#components),*]))
    });
    // Named as `rewrite::rename_api_versions` names the variants.
    let latest_variant = format_ident!("V{}", latest.replace(['/', '-', '.'], "_"));
    let variants = model.operations.iter().map(|op| {
        let name = format_ident!("{}", op.id.to_upper_camel_case());
        let doc = format!(" `{}`: {}", op.id, op.summary);
        quote!(#[doc = #doc] #name)
    });
    let names = model
        .operations
        .iter()
        .map(|op| format_ident!("{}", op.id.to_upper_camel_case()));
    let tokens = quote! {
        use crate::meta::{Auth, Method, Operation, Paging, QueryParam, TenantHeader};

        /// Every operation of the spec, sorted by `operationId`.
        pub static OPERATIONS: &[Operation] = &[#(#operations),*];

        /// Every operation by name, in the order of [`OPERATIONS`] (`OperationId::ListCustomers`
        /// for `list_customers`): a typo does not compile. See [`OperationId::operation`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum OperationId {
            #(#variants),*
        }

        /// Every [`OperationId`], in the order of [`OPERATIONS`].
        pub static OPERATION_IDS: &[OperationId] = &[#(OperationId::#names),*];

        /// Wire names of the roles (`Role` schema), in spec order.
        pub static ROLES: &[&str] = &[#(#roles),*];

        /// Values accepted by the `x-api-version` header (`ApiVersion` schema), oldest first.
        pub static API_VERSIONS: &[&str] = &[#(#api_versions),*];

        /// Webhook event names (`HookEvent` schema), in spec order.
        pub static HOOK_EVENTS: &[&str] = &[#(#hook_events),*];

        /// The identity of the items of each paged list, by item model (sorted): the key
        /// components, each a list of alternative property names (`x-cro-key`, else `id`).
        pub static ITEM_KEYS: &[(&str, &[&[&str]])] = &[#(#item_keys),*];

        /// The API version the spec describes (`info.version`); the client sends it by default.
        pub const LATEST_API_VERSION: &str = #latest;

        /// [`LATEST_API_VERSION`] as the enum.
        pub const SPEC_API_VERSION: crate::types::ApiVersion = crate::types::ApiVersion::#latest_variant;
    };
    render::file(tokens, &[])
}

fn operation(op: &OperationModel) -> TokenStream {
    let OperationModel {
        id,
        path,
        tag,
        summary,
        roles,
        roles_inferred,
        deprecated,
        source,
        ..
    } = op;
    let method = match op.method {
        Method::Get => quote!(Method::Get),
        Method::Post => quote!(Method::Post),
        Method::Patch => quote!(Method::Patch),
        Method::Put => quote!(Method::Put),
        Method::Delete => quote!(Method::Delete),
    };
    let paging = match &op.paging {
        Paging::None => quote!(Paging::None),
        Paging::Envelope {
            list_model,
            item_model,
        } => quote!(Paging::Envelope {
            list_model: #list_model,
            item_model: #item_model,
        }),
        Paging::BareArray { item_model, .. } => quote!(Paging::BareArray {
            item_model: #item_model,
        }),
    };
    let auth = match op.auth {
        Auth::Bearer => quote!(Auth::Bearer),
        Auth::None => quote!(Auth::None),
    };
    let tenant = match op.tenant {
        Tenant::Required => quote!(TenantHeader::Required),
        Tenant::Optional => quote!(TenantHeader::Optional),
        Tenant::Absent => quote!(TenantHeader::Absent),
    };
    let path_params = op.path_params.iter().map(|p| &p.name);
    let query_params = op.query_params.iter().map(query_param);
    let request_body = option_str(op.request_body.as_deref());
    quote! {
        Operation {
            id: #id,
            method: #method,
            path: #path,
            tag: #tag,
            summary: #summary,
            roles: &[#(#roles),*],
            roles_inferred: #roles_inferred,
            paging: #paging,
            auth: #auth,
            tenant: #tenant,
            deprecated: #deprecated,
            source: #source,
            path_params: &[#(#path_params),*],
            query_params: &[#(#query_params),*],
            request_body: #request_body,
        }
    }
}

fn query_param(param: &Param) -> TokenStream {
    let name = &param.name;
    let kind = param.kind.as_str();
    let format = option_str(param.format.as_deref());
    let description = &param.description;
    quote! {
        QueryParam {
            name: #name,
            kind: #kind,
            format: #format,
            description: #description,
        }
    }
}

fn option_str(value: Option<&str>) -> TokenStream {
    match value {
        Some(value) => quote!(Some(#value)),
        None => quote!(None),
    }
}
