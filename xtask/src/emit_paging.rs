//! `crates/cro-ext/src/generated_paging.rs`: `PagedRequest` impls for the builders of paged
//! operations, and `with_paged_request`, which builds such a request from textual parameters.
//!
//! The macros and helpers it calls are hand-written in `cro-ext` (`request.rs`,
//! `registry.rs`); the generated part is only the per-operation list. Rust names and types are
//! read from the generated client ([`Surface`]) so this file always agrees with it.

use anyhow::{Context, Result};
use heck::ToSnakeCase;
use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{Ident, Type};

use crate::model::{Kind, Model, OperationModel, PAGING_PARAMS, Paging, Param};
use crate::render;
use crate::surface::Surface;

/// Path of the emitted file, relative to the workspace root.
pub const PATH: &str = "crates/cro-ext/src/generated_paging.rs";

/// Render the file.
pub fn emit(model: &Model, surface: &Surface<'_>) -> Result<String> {
    let mut impls = Vec::new();
    let mut arms = Vec::new();
    for op in &model.operations {
        let envelope = match op.paging {
            Paging::None => continue,
            Paging::Envelope { .. } => true,
            Paging::BareArray { .. } => false,
        };
        let context = || format!("paged operation `{}`", op.id);
        let builder_name = surface.builder_for(&op.id).with_context(context)?;
        for name in PAGING_PARAMS {
            surface
                .builder_field(builder_name, name)
                .with_context(context)?;
        }
        let builder = ident(builder_name);
        let item = external(
            surface
                .page_item_type(builder_name, envelope)
                .with_context(context)?,
        );
        let id = &op.id;
        impls.push(if envelope {
            quote!(impl_envelope_paged!(#builder, #id, #item);)
        } else {
            quote!(impl_bare_array_paged!(#builder, #id, #item);)
        });
        arms.push(match_arm(op, builder_name, surface).with_context(context)?);
    }

    let body = if arms.is_empty() {
        quote! {
            let _ = (client, params, visitor);
            Err(registry::not_paged(operation_id))
        }
    } else {
        quote! {
            match operation_id {
                #(#arms)*
                _ => Err(registry::not_paged(operation_id)),
            }
        }
    };
    let tokens = quote! {
        use crate::registry::{self, ParamError, Params};
        use crate::request::{PagedVisitor, impl_bare_array_paged, impl_envelope_paged};

        #(#impls)*

        /// Build the request of the paged operation `operation_id` from textual parameters and
        /// hand it to `visitor`.
        ///
        /// `params` maps wire names of path parameters and filters (query parameters other
        /// than `page_index`/`page_limit`, which the pager sets) to their values: integers and
        /// numbers in decimal, booleans as `true`/`false`/`1`/`0` (any case), strings and
        /// timestamps verbatim. Every value is converted here, so a bad one is reported as a
        /// [`ParamError`] naming the parameter instead of failing later at `send()`.
        pub fn with_paged_request<V: PagedVisitor>(
            client: &::cro_api::Client,
            operation_id: &str,
            params: &Params,
            visitor: V,
        ) -> Result<V::Output, ParamError> {
            #body
        }
    };
    render::file(tokens, &[])
}

/// The `match` arm of one paged operation.
fn match_arm(op: &OperationModel, builder: &str, surface: &Surface<'_>) -> Result<TokenStream> {
    let id = &op.id;
    let method = ident(&op.id);
    let path_names = op.path_params.iter().map(|p| &p.name);
    let filters: Vec<&Param> = op.filters().collect();
    let filter_names = filters.iter().map(|p| &p.name);

    let mut setters = Vec::new();
    for param in &op.path_params {
        let (setter, value) = setter_and_value(param, builder, surface)?;
        let name = &param.name;
        setters.push(quote! {
            let request = {
                let value = registry::required(operation_id, params, #name)?;
                #value
                request.#setter(value)
            };
        });
    }
    for param in &filters {
        let (setter, value) = setter_and_value(param, builder, surface)?;
        let name = &param.name;
        setters.push(quote! {
            let request = match params.get(#name) {
                Some(value) => {
                    #value
                    request.#setter(value)
                }
                None => request,
            };
        });
    }
    Ok(quote! {
        #id => {
            registry::check_names(operation_id, params, &[#(#path_names),*], &[#(#filter_names),*])?;
            let request = client.#method();
            #(#setters)*
            Ok(visitor.visit(request))
        }
    })
}

/// The builder setter for `param` and a statement that shadows the `&str` called `value` with
/// the value converted to the setter's exact type (read from the builder struct), propagating
/// a `ParamError`.
fn setter_and_value(
    param: &Param,
    builder: &str,
    surface: &Surface<'_>,
) -> Result<(Ident, TokenStream)> {
    let setter = setter_name(&param.name);
    let ty = external(
        surface
            .setter_type(builder, &setter)
            .with_context(|| format!("parameter `{}`", param.name))?,
    );
    let name = &param.name;
    let parse = match param.kind {
        Kind::Integer => quote!(parse_integer),
        Kind::Number => quote!(parse_number),
        Kind::Boolean => quote!(parse_boolean),
        Kind::String => quote!(parse_text),
    };
    let value = quote!(let value: #ty = registry::#parse(operation_id, #name, value)?;);
    Ok((ident(&setter), value))
}

/// progenitor's name for the builder setter of a wire parameter name (`x-api-version` ->
/// `x_api_version`, `type` -> `type_`); checked against the builder struct by the caller.
fn setter_name(wire: &str) -> String {
    let cleaned: String = wire
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let snake = cleaned.to_snake_case();
    if syn::parse_str::<Ident>(&snake).is_ok() {
        snake
    } else {
        format!("{snake}_")
    }
}

fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

/// Rewrite a type as written inside cro-api (`crate::Timestamp`, `types::X`) into a path
/// valid in cro-ext (`::cro_api::Timestamp`, `::cro_api::types::X`); `::std::..` etc. stay.
fn external(mut ty: Type) -> Type {
    rewrite(&mut ty);
    ty
}

fn rewrite(ty: &mut Type) {
    let Type::Path(type_path) = ty else { return };
    let path = &mut type_path.path;
    let first = path.segments.first().map(|s| s.ident.to_string());
    if path.leading_colon.is_none() {
        match first.as_deref() {
            // `crate::Timestamp` -> `::cro_api::Timestamp`
            Some("crate") => {
                path.segments[0].ident = ident("cro_api");
                path.leading_colon = Some(Default::default());
            }
            // `types::Role` -> `::cro_api::types::Role`
            Some("types") => {
                path.segments.insert(0, ident("cro_api").into());
                path.leading_colon = Some(Default::default());
            }
            _ => {}
        }
    }
    for segment in &mut path.segments {
        if let syn::PathArguments::AngleBracketed(args) = &mut segment.arguments {
            for arg in &mut args.args {
                if let syn::GenericArgument::Type(inner) = arg {
                    rewrite(inner);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;

    #[test]
    fn setter_names_follow_progenitor() {
        assert_eq!(setter_name("x-api-version"), "x_api_version");
        assert_eq!(setter_name("created_on_gte"), "created_on_gte");
        assert_eq!(setter_name("type"), "type_");
    }

    #[test]
    fn types_are_made_external() {
        let ty: Type = syn::parse_quote!(Option<types::Role>);
        assert_eq!(
            external(ty).to_token_stream().to_string(),
            "Option < :: cro_api :: types :: Role >"
        );
        let ty: Type = syn::parse_quote!(crate::Timestamp);
        assert_eq!(
            external(ty).to_token_stream().to_string(),
            ":: cro_api :: Timestamp"
        );
        let ty: Type = syn::parse_quote!(::std::num::NonZeroU64);
        assert_eq!(
            external(ty).to_token_stream().to_string(),
            ":: std :: num :: NonZeroU64"
        );
    }
}
