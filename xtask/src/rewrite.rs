//! Post-processing progenitor's output into the surface cro-api promises (issue 12).
//!
//! progenitor and typify give a complete client, but its surface has rough edges for a user:
//! two error types, setters that want validated newtypes, variant names like `X20190208`,
//! progenitor internals on the `Client` page. Rather than wrapping every type by hand, the
//! syntax tree is rewritten here, after progenitor and before anything reads it, so the
//! paging emitter and the surface snapshots see exactly what users see:
//!
//! 1. [`wrap_send`]: each builder's `send()` returns `Result<ResponseValue<T>, crate::Error>`;
//!    progenitor's own `send` is kept, private, as `send_raw`.
//! 2. [`hide_client_internals`]: `Client` gets a short doc instead of the OpenAPI info text;
//!    `new`, `new_with_client` and the `ClientInfo`/`ClientHooks` impls are `#[doc(hidden)]`.
//! 3. [`rename_api_versions`]: `ApiVersion::X20190208` becomes `ApiVersion::V2019_02_08`.
//! 4. [`plain_value_setters`]: body-builder setters of string fields take `&str`/`String`
//!    (optional ones too), list setters take builders or values (`crate::input::IntoField`),
//!    and every local validation message reads `Model.field: rule`, like the API's own.
//! 5. [`version_accessors`]: one accessor per field renamed between API versions
//!    (`x-cro-removed-in` / `x-cro-since` pairs): `customer.id()` over `id`/`customer_id`.
//!
//! Every step works on names and shapes found in the tree and fails with a message when the
//! shape is not the one expected, so a progenitor upgrade cannot silently skip a step.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result, bail};
use quote::{format_ident, quote};
use serde_json::Value;
use syn::visit_mut::VisitMut;
use syn::{
    Attribute, Fields, GenericArgument, ImplItem, Item, ItemMod, PathArguments, ReturnType, Type,
    TypeParamBound, WherePredicate, parse_quote,
};

use crate::surface::{generic_arg, type_name};

/// Apply every rewrite to progenitor's output.
pub fn apply(file: &mut syn::File, spec: &Value) -> Result<()> {
    wrap_send(file)?;
    hide_client_internals(file)?;
    rename_api_versions(file)?;
    plain_value_setters(file)?;
    version_accessors(file, spec)?;
    Ok(())
}

/// Items of a module with a body.
fn items_mut(module: &mut ItemMod) -> &mut Vec<Item> {
    &mut module.content.get_or_insert_with(Default::default).1
}

fn top_module<'f>(file: &'f mut syn::File, name: &str) -> Result<&'f mut ItemMod> {
    file.items
        .iter_mut()
        .find_map(|item| match item {
            Item::Mod(m) if m.ident == name => Some(m),
            _ => None,
        })
        .with_context(|| format!("generated client has no `mod {name}`"))
}

fn types_builder_module(file: &mut syn::File) -> Result<&mut ItemMod> {
    items_mut(top_module(file, "types")?)
        .iter_mut()
        .find_map(|item| match item {
            Item::Mod(m) if m.ident == "builder" => Some(m),
            _ => None,
        })
        .context("generated client has no `mod types::builder`")
}

fn is_doc(attr: &Attribute) -> bool {
    attr.path().is_ident("doc")
}

/// Step 1: `send()` returns `cro_api::Error`.
fn wrap_send(file: &mut syn::File) -> Result<()> {
    let mut wrapped = 0;
    for item in items_mut(top_module(file, "builder")?) {
        let Item::Impl(imp) = item else { continue };
        let builder = type_name(&imp.self_ty).unwrap_or_default();
        let mut items = Vec::with_capacity(imp.items.len() + 1);
        for item in imp.items.drain(..) {
            let ImplItem::Fn(mut send) = item else {
                items.push(item);
                continue;
            };
            if send.sig.ident != "send" {
                items.push(ImplItem::Fn(send));
                continue;
            }
            let ReturnType::Type(_, output) = &send.sig.output else {
                bail!("`builder::{builder}::send` returns nothing");
            };
            let ok = generic_arg(output, "Result", 0)
                .and_then(|ok| generic_arg(ok, "ResponseValue", 0))
                .cloned()
                .with_context(|| {
                    format!(
                        "`builder::{builder}::send` does not return `Result<ResponseValue<T>, _>`"
                    )
                })?;
            let error = generic_arg(output, "Result", 1)
                .and_then(|e| generic_arg(e, "Error", 0))
                .and_then(type_name);
            if error.as_deref() != Some("ErrorBody") {
                bail!("`builder::{builder}::send` does not fail with `Error<types::ErrorBody>`");
            }
            let docs: Vec<Attribute> = send.attrs.iter().filter(|a| is_doc(a)).cloned().collect();
            send.attrs.retain(|a| !is_doc(a));
            send.sig.ident = format_ident!("send_raw");
            send.vis = syn::Visibility::Inherited;
            let wrapper: ImplItem = parse_quote! {
                #(#docs)*
                ///
                ///Fails with [`crate::Error`]: the API's error (`Error::Api`, with status,
                ///message and request id), a local validation error naming the field
                ///(`Error::Validation`), a configuration or transport error.
                pub async fn send(self) -> Result<ResponseValue<#ok>, crate::Error> {
                    self.send_raw().await.map_err(crate::Error::from)
                }
            };
            items.push(ImplItem::Fn(send));
            items.push(wrapper);
            wrapped += 1;
        }
        imp.items = items;
    }
    if wrapped == 0 {
        bail!("found no `send` methods in the generated builders");
    }
    Ok(())
}

/// Doc of `Client`, instead of the OpenAPI info text (which is the spec's business).
const CLIENT_DOC: &[&str] = &[
    " The CRO Developer API client: one method per operation (`client.list_customers()`),",
    " each returning a request builder whose `send()` gives",
    " `Result<ResponseValue<T>, cro_api::Error>`.",
    "",
    " Build one with [`Client::builder`] or [`Client::from_env`]; the [crate docs](crate)",
    " start with a quick start, and `cro_ext` adds paging.",
];

/// Step 2: keep progenitor's plumbing off the `Client` page.
fn hide_client_internals(file: &mut syn::File) -> Result<()> {
    let mut found_client = false;
    for item in &mut file.items {
        match item {
            Item::Struct(s) if s.ident == "Client" => {
                found_client = true;
                s.attrs.retain(|a| !is_doc(a));
                for line in CLIENT_DOC {
                    s.attrs.push(parse_quote!(#[doc = #line]));
                }
            }
            Item::Impl(imp) if type_name(&imp.self_ty).as_deref() == Some("Client") => {
                if imp.trait_.is_some() {
                    imp.attrs.push(parse_quote!(#[doc(hidden)]));
                    continue;
                }
                for item in &mut imp.items {
                    if let ImplItem::Fn(f) = item
                        && (f.sig.ident == "new" || f.sig.ident == "new_with_client")
                    {
                        f.attrs.push(parse_quote!(#[doc(hidden)]));
                    }
                }
            }
            _ => {}
        }
    }
    if !found_client {
        bail!("generated client has no `struct Client`");
    }
    Ok(())
}

/// Step 3: `ApiVersion` variants named like their wire value.
fn rename_api_versions(file: &mut syn::File) -> Result<()> {
    let mut renames = BTreeMap::new();
    for item in items_mut(top_module(file, "types")?) {
        let Item::Enum(e) = item else { continue };
        if e.ident != "ApiVersion" {
            continue;
        }
        for variant in &mut e.variants {
            let wire = serde_rename(&variant.attrs)
                .with_context(|| format!("`ApiVersion::{}` has no serde rename", variant.ident))?;
            let name = format_ident!("V{}", wire.replace(['/', '-', '.'], "_"));
            let doc = format!("`{wire}`");
            variant.attrs.push(parse_quote!(#[doc = #doc]));
            renames.insert(variant.ident.to_string(), name);
        }
    }
    if renames.is_empty() {
        bail!("generated client has no `enum ApiVersion` with variants");
    }
    struct Rename(BTreeMap<String, syn::Ident>);
    impl VisitMut for Rename {
        fn visit_ident_mut(&mut self, ident: &mut syn::Ident) {
            if let Some(new) = self.0.get(&ident.to_string()) {
                *ident = new.clone();
            }
        }
    }
    Rename(renames).visit_file_mut(file);
    Ok(())
}

/// `value` of `#[serde(rename = "value")]`.
fn serde_rename(attrs: &[Attribute]) -> Option<String> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("serde"))
        .find_map(|a| {
            let mut found = None;
            let _ = a.parse_nested_meta(|meta| {
                if meta.path.is_ident("rename") {
                    let lit: syn::LitStr = meta.value()?.parse()?;
                    found = Some(lit.value());
                } else if meta.input.peek(syn::Token![=]) {
                    let _: syn::Expr = meta.value()?.parse()?;
                }
                Ok(())
            });
            found
        })
}

/// What the `types` module holds, for step 4.
struct TypesIndex {
    /// String newtypes with `FromStr` (typify's validating newtypes).
    string_newtypes: BTreeSet<String>,
    /// Structs that have a `types::builder` counterpart.
    models_with_builder: BTreeSet<String>,
    /// `(model, rust field)` -> wire name.
    wire_names: BTreeMap<(String, String), String>,
    /// Builder fields holding a `Vec`, by builder name.
    list_fields: BTreeMap<String, BTreeSet<String>>,
}

impl TypesIndex {
    fn new(types: &[Item], builders: &[Item]) -> TypesIndex {
        let mut index = TypesIndex {
            string_newtypes: BTreeSet::new(),
            models_with_builder: BTreeSet::new(),
            wire_names: BTreeMap::new(),
            list_fields: BTreeMap::new(),
        };
        let mut from_str = BTreeSet::new();
        let mut single_strings = BTreeSet::new();
        for item in types {
            match item {
                Item::Struct(s) => match &s.fields {
                    Fields::Unnamed(f)
                        if f.unnamed.len() == 1
                            && type_name(&f.unnamed[0].ty).as_deref() == Some("String") =>
                    {
                        single_strings.insert(s.ident.to_string());
                    }
                    Fields::Named(fields) => {
                        for field in &fields.named {
                            let Some(ident) = &field.ident else { continue };
                            let rust = ident.to_string().trim_start_matches("r#").to_owned();
                            let wire = serde_rename(&field.attrs).unwrap_or_else(|| rust.clone());
                            index.wire_names.insert((s.ident.to_string(), rust), wire);
                        }
                    }
                    _ => {}
                },
                Item::Impl(imp) => {
                    let is_from_str = imp.trait_.as_ref().is_some_and(|(path, _)| {
                        path.segments.last().is_some_and(|s| s.ident == "FromStr")
                    });
                    if is_from_str && let Some(name) = type_name(&imp.self_ty) {
                        from_str.insert(name);
                    }
                }
                _ => {}
            }
        }
        index.string_newtypes = single_strings.intersection(&from_str).cloned().collect();
        for item in builders {
            if let Item::Struct(s) = item {
                index.models_with_builder.insert(s.ident.to_string());
                let Fields::Named(fields) = &s.fields else {
                    continue;
                };
                let lists = fields
                    .named
                    .iter()
                    .filter(|f| {
                        generic_arg(&f.ty, "Result", 0)
                            .and_then(|ok| generic_arg(ok, "Vec", 0))
                            .is_some()
                    })
                    .filter_map(|f| f.ident.as_ref().map(ToString::to_string));
                index
                    .list_fields
                    .entry(s.ident.to_string())
                    .or_default()
                    .extend(lists);
            }
        }
        index
    }

    /// `N` for `super::N` when `N` is a string newtype.
    fn string_newtype(&self, ty: &Type) -> Option<String> {
        type_name(ty).filter(|n| self.string_newtypes.contains(n) && is_super_path(ty))
    }

    /// Whether a setter of this target type should take `IntoField` (and which impls it needs).
    fn plain_value_target(&self, ty: &Type, needs: &mut Needs) -> bool {
        let inner_option = generic_arg(ty, "Option", 0);
        if let Some(n) = self.string_newtype(inner_option.unwrap_or(ty)) {
            needs.strings.insert(n);
            return true;
        }
        if inner_option.and_then(type_name).as_deref() == Some("String") {
            return true;
        }
        if let Some(item) = generic_arg(ty, "Vec", 0)
            && let Some(m) = type_name(item)
            && is_super_path(item)
            && self.models_with_builder.contains(&m)
        {
            needs.lists.insert(m);
            return true;
        }
        false
    }
}

/// `super::X` (how `types::builder` names a type of `types`).
fn is_super_path(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.path.segments.len() == 2 && p.path.segments[0].ident == "super")
}

/// `IntoField` impls the rewritten setters need.
#[derive(Default)]
struct Needs {
    strings: BTreeSet<String>,
    lists: BTreeSet<String>,
}

/// Step 4: setters that take plain values, and validation messages that name the field.
fn plain_value_setters(file: &mut syn::File) -> Result<()> {
    let index = {
        let types = items_mut(top_module(file, "types")?).clone();
        let builders = items_mut(types_builder_module(file)?).clone();
        TypesIndex::new(&types, &builders)
    };
    let mut needs = Needs::default();
    let mut rewritten = 0;
    for item in items_mut(types_builder_module(file)?) {
        let Item::Impl(imp) = item else { continue };
        let Some(model) = type_name(&imp.self_ty) else {
            continue;
        };
        if let Some((path, _)) = &imp.trait_ {
            if path.segments.last().is_some_and(|s| s.ident == "Default") {
                let lists = index.list_fields.get(&model).cloned().unwrap_or_default();
                RequiredMessages {
                    model: &model,
                    lists,
                }
                .visit_item_impl_mut(imp);
            }
            continue;
        }
        for item in &mut imp.items {
            let ImplItem::Fn(setter) = item else { continue };
            let Some(target) = setter_target(setter) else {
                continue;
            };
            let field = setter.sig.ident.clone();
            let rust = field.to_string().trim_start_matches("r#").to_owned();
            let wire = index
                .wire_names
                .get(&(model.clone(), rust.clone()))
                .cloned()
                .unwrap_or(rust);
            let (bound, convert) = if index.plain_value_target(&target, &mut needs) {
                (
                    quote!(crate::input::IntoField<#target>),
                    quote!(crate::input::IntoField::into_field(value)),
                )
            } else {
                (
                    quote!(::std::convert::TryInto<#target>, T::Error: ::std::fmt::Display),
                    quote!(value.try_into()),
                )
            };
            let attrs = &setter.attrs;
            *setter = parse_quote! {
                #(#attrs)*
                pub fn #field<T>(mut self, value: T) -> Self
                where
                    T: #bound,
                {
                    self.#field = #convert
                        .map_err(|e| crate::input::field_error(#model, #wire, e));
                    self
                }
            };
            rewritten += 1;
        }
    }
    if rewritten == 0 {
        bail!("found no setters in `types::builder`");
    }
    let strings = needs.strings.iter().map(|n| format_ident!("{n}"));
    let lists = needs.lists.iter().map(|m| format_ident!("{m}"));
    let impls: Item = parse_quote! {
        /// `IntoField` conversions for the setters of `builder` (see `crate::input`).
        mod into_field {
            #(crate::input::impl_string_field!(super::#strings);)*
            #(crate::input::impl_model_list!(super::#lists, super::builder::#lists);)*
        }
    };
    items_mut(top_module(file, "types")?).push(impls);
    Ok(())
}

/// `X` in a typify setter `fn f<T>(mut self, value: T) -> Self where T: TryInto<X>, ..`.
fn setter_target(setter: &syn::ImplItemFn) -> Option<Type> {
    let predicate = setter
        .sig
        .generics
        .where_clause
        .as_ref()?
        .predicates
        .first()?;
    let WherePredicate::Type(predicate) = predicate else {
        return None;
    };
    let TypeParamBound::Trait(bound) = predicate.bounds.first()? else {
        return None;
    };
    let last = bound.path.segments.last()?;
    if last.ident != "TryInto" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(ty) => Some(ty.clone()),
        _ => None,
    }
}

/// In a builder's `Default`: `"no value supplied for name"` ->
/// `"CreateCustomerModel.name: required, no value given"`; required lists start empty
/// (`contacts: []` is a valid "none"; a list that must not be empty is the server's rule).
struct RequiredMessages<'a> {
    model: &'a str,
    lists: BTreeSet<String>,
}

impl VisitMut for RequiredMessages<'_> {
    fn visit_field_value_mut(&mut self, field: &mut syn::FieldValue) {
        if let syn::Member::Named(name) = &field.member
            && self.lists.contains(&name.to_string())
        {
            field.expr = parse_quote!(Ok(Default::default()));
            return;
        }
        syn::visit_mut::visit_field_value_mut(self, field);
    }

    fn visit_lit_str_mut(&mut self, lit: &mut syn::LitStr) {
        if let Some(field) = lit.value().strip_prefix("no value supplied for ") {
            let text = format!("{}.{field}: required, no value given", self.model);
            *lit = syn::LitStr::new(&text, lit.span());
        }
    }
}

/// Step 5: one accessor per renamed field.
fn version_accessors(file: &mut syn::File, spec: &Value) -> Result<()> {
    let Some(schemas) = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    else {
        bail!("the spec has no components.schemas");
    };
    let types = items_mut(top_module(file, "types")?);
    let mut accessors = Vec::new();
    for (schema_name, schema) in schemas {
        let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
            continue;
        };
        let marked = |key: &str| -> Vec<(&String, &str)> {
            properties
                .iter()
                .filter_map(|(name, p)| Some((name, p.get(key)?.as_str()?)))
                .collect()
        };
        let since = marked("x-cro-since");
        for (old, version) in marked("x-cro-removed-in") {
            let new: Vec<&String> = since
                .iter()
                .filter(|(_, v)| *v == version)
                .map(|(n, _)| *n)
                .collect();
            let [new] = new.as_slice() else {
                bail!(
                    "components.schemas.{schema_name}.{old}: x-cro-removed-in {version:?} needs \
                     exactly one property with x-cro-since {version:?} (its new name); found {new:?}"
                );
            };
            let strukt = types
                .iter()
                .find_map(|item| match item {
                    Item::Struct(s) if s.ident == schema_name => Some(s),
                    _ => None,
                })
                .with_context(|| format!("no `types::{schema_name}` for the renamed field"))?;
            let field_type = |name: &str| -> Result<Type> {
                let Fields::Named(fields) = &strukt.fields else {
                    bail!("`types::{schema_name}` has no named fields");
                };
                fields
                    .named
                    .iter()
                    .find(|f| {
                        f.ident.as_ref().is_some_and(|i| i == name)
                            || serde_rename(&f.attrs).as_deref() == Some(name)
                    })
                    .map(|f| f.ty.clone())
                    .with_context(|| format!("`types::{schema_name}` has no field `{name}`"))
            };
            let (old_ty, new_ty) = (field_type(old)?, field_type(new)?);
            if quote!(#old_ty).to_string() != quote!(#new_ty).to_string()
                || generic_arg(&new_ty, "Option", 0).is_none()
            {
                bail!(
                    "`types::{schema_name}`: `{old}` and `{new}` must have the same `Option<T>` \
                     type to share an accessor"
                );
            }
            let copy = generic_arg(&new_ty, "Option", 0)
                .and_then(type_name)
                .is_some_and(|t| matches!(t.as_str(), "i64" | "i32" | "u64" | "f64" | "bool"));
            let (old_ident, new_ident) = (format_ident!("{old}"), format_ident!("{new}"));
            let doc = format!(
                " `{new}` whatever the API version: the `{new}` field (sent from {version}), \
                 else `{old}` (its name before {version})."
            );
            let struct_ident = format_ident!("{schema_name}");
            let accessor: Item = if copy {
                parse_quote! {
                    impl #struct_ident {
                        #[doc = #doc]
                        pub fn #new_ident(&self) -> #new_ty {
                            self.#new_ident.or(self.#old_ident)
                        }
                    }
                }
            } else {
                let inner = generic_arg(&new_ty, "Option", 0);
                parse_quote! {
                    impl #struct_ident {
                        #[doc = #doc]
                        pub fn #new_ident(&self) -> ::std::option::Option<&#inner> {
                            self.#new_ident.as_ref().or(self.#old_ident.as_ref())
                        }
                    }
                }
            };
            accessors.push(accessor);
        }
    }
    types.extend(accessors);
    Ok(())
}

/// The `types` module's doc: where to start, and the models of each area (the spec's tags:
/// request bodies, responses and list items of the area's operations), so a flat list of a
/// hundred structs has a table of contents.
pub fn document_types(file: &mut syn::File, model: &crate::model::Model) -> Result<()> {
    // Success type of each operation's `send()`, by builder name.
    let mut responses = BTreeMap::new();
    for item in items_mut(top_module(file, "builder")?) {
        let Item::Impl(imp) = item else { continue };
        let Some(builder) = type_name(&imp.self_ty) else {
            continue;
        };
        for item in &imp.items {
            if let ImplItem::Fn(f) = item
                && f.sig.ident == "send"
                && let ReturnType::Type(_, output) = &f.sig.output
                && let Some(ok) = generic_arg(output, "Result", 0)
                    .and_then(|ok| generic_arg(ok, "ResponseValue", 0))
                    .and_then(type_name)
            {
                responses.insert(builder.clone(), ok);
            }
        }
    }
    let types = items_mut(top_module(file, "types")?);
    let known: BTreeSet<String> = types
        .iter()
        .filter_map(|item| match item {
            Item::Struct(s) => Some(s.ident.to_string()),
            Item::Enum(e) => Some(e.ident.to_string()),
            _ => None,
        })
        .collect();
    let mut areas: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for op in &model.operations {
        let builder = heck::ToUpperCamelCase::to_upper_camel_case(op.id.as_str());
        let names = [
            op.request_body.clone(),
            op.paging.item_model(),
            responses.get(&builder).cloned(),
        ];
        let area = areas.entry(op.tag.as_str()).or_default();
        area.extend(names.into_iter().flatten().filter(|n| known.contains(n)));
    }
    let mut lines = vec![
        " Request and response models of the CRO Developer API, generated from".to_owned(),
        " `spec/openapi.yaml`.".to_owned(),
        String::new(),
        " **Where to start**: from the operation. Each `Client` method's builder takes a body"
            .to_owned(),
        " (`.body(Model::builder().field(..))`: setters take plain values and check the spec's"
            .to_owned(),
        " limits before sending) and `send()` returns the response model. Fields renamed"
            .to_owned(),
        " between API versions have one accessor (`customer.id()`). By area:".to_owned(),
        String::new(),
    ];
    for (tag, names) in &areas {
        if names.is_empty() {
            continue;
        }
        let links: Vec<String> = names.iter().map(|n| format!("[`{n}`]")).collect();
        lines.push(format!(" - **{tag}**: {}", links.join(", ")));
    }
    lines.push(String::new());
    lines.push(
        " Enums shared by several areas: [`ApiVersion`], [`HookEvent`], [`Role`].".to_owned(),
    );
    let module = top_module(file, "types")?;
    module.attrs.retain(|a| !is_doc(a));
    for line in &lines {
        module.attrs.push(parse_quote!(#[doc = #line]));
    }
    Ok(())
}
