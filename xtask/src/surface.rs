//! Reading the generated client's syntax tree: which builder struct each `Client` method
//! returns, the types of the builder's fields, and the response types.
//!
//! The paging emitter takes Rust names and types from here instead of re-deriving them from
//! the spec with progenitor's naming rules, so the two can never disagree: if the spec and the
//! client do not line up, codegen stops with a message instead of emitting code that does not
//! compile.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result, bail};
use syn::{
    Fields, FnArg, GenericArgument, ImplItem, Item, ItemStruct, PathArguments, ReturnType, Type,
};

/// Lookup tables over `generated.rs`.
pub struct Surface<'f> {
    /// `Client` method name -> builder struct name (`list_customers` -> `ListCustomers`).
    methods: BTreeMap<String, String>,
    /// Builder structs by name (`builder` module).
    builders: BTreeMap<String, &'f ItemStruct>,
    /// `send()` success type of each builder (inside `ResponseValue<..>`).
    send_ok: BTreeMap<String, Type>,
    /// Structs of the `types` module by name.
    types: BTreeMap<String, &'f ItemStruct>,
    /// Names of every struct, enum and alias of the `types` module.
    type_names: BTreeSet<String>,
}

impl<'f> Surface<'f> {
    /// Index the generated file.
    pub fn new(file: &'f syn::File) -> Result<Self> {
        let mut surface = Surface {
            methods: BTreeMap::new(),
            builders: BTreeMap::new(),
            send_ok: BTreeMap::new(),
            types: BTreeMap::new(),
            type_names: BTreeSet::new(),
        };
        for item in &file.items {
            match item {
                Item::Impl(imp) if is_path(&imp.self_ty, "Client") && imp.trait_.is_none() => {
                    for item in &imp.items {
                        let ImplItem::Fn(method) = item else { continue };
                        if !takes_only_self(&method.sig) {
                            continue;
                        }
                        if let Some(builder) = returned_builder(&method.sig.output) {
                            surface
                                .methods
                                .insert(method.sig.ident.to_string(), builder);
                        }
                    }
                }
                Item::Mod(module) if module.ident == "builder" => {
                    for item in module_items(module) {
                        match item {
                            Item::Struct(s) => {
                                surface.builders.insert(s.ident.to_string(), s);
                            }
                            Item::Impl(imp) => {
                                let Some(name) = type_name(&imp.self_ty) else {
                                    continue;
                                };
                                for item in &imp.items {
                                    let ImplItem::Fn(f) = item else { continue };
                                    if f.sig.ident == "send"
                                        && let Some(ok) = send_ok_type(&f.sig.output)
                                    {
                                        surface.send_ok.insert(name.clone(), ok);
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                }
                Item::Mod(module) if module.ident == "types" => {
                    for item in module_items(module) {
                        match item {
                            Item::Struct(s) => {
                                surface.type_names.insert(s.ident.to_string());
                                surface.types.insert(s.ident.to_string(), s);
                            }
                            Item::Enum(e) => {
                                surface.type_names.insert(e.ident.to_string());
                            }
                            Item::Type(t) => {
                                surface.type_names.insert(t.ident.to_string());
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        if surface.methods.is_empty() {
            bail!("found no builder-returning methods on `Client` in the generated code");
        }
        Ok(surface)
    }

    /// The builder struct returned by `Client::<operation_id>()`.
    pub fn builder_for(&self, operation_id: &str) -> Result<&str> {
        self.methods
            .get(operation_id)
            .map(String::as_str)
            .with_context(|| format!("generated `Client` has no method `{operation_id}`"))
    }

    /// Named fields of a builder struct (`location_id` -> `Result<i64, String>`).
    pub fn builder_field(&self, builder: &str, field: &str) -> Result<&'f Type> {
        let strukt = self
            .builders
            .get(builder)
            .with_context(|| format!("generated code has no `builder::{builder}` struct"))?;
        let Fields::Named(fields) = &strukt.fields else {
            bail!("`builder::{builder}` has no named fields");
        };
        fields
            .named
            .iter()
            .find(|f| f.ident.as_ref().is_some_and(|i| i == field))
            .map(|f| &f.ty)
            .with_context(|| format!("`builder::{builder}` has no field `{field}`"))
    }

    /// The value type a builder setter takes: `T` from a field `Result<T, String>` or
    /// `Result<Option<T>, String>`.
    pub fn setter_type(&self, builder: &str, field: &str) -> Result<Type> {
        let ty = self.builder_field(builder, field)?;
        let inner = generic_arg(ty, "Result", 0)
            .with_context(|| format!("`builder::{builder}::{field}` is not a `Result<..>`"))?;
        Ok(generic_arg(inner, "Option", 0).unwrap_or(inner).clone())
    }

    /// The item type of a paged operation's success body: `T` in the `results: Vec<T>` field of
    /// an envelope, or in the `Vec<T>` (or newtype around one) of a bare array.
    pub fn page_item_type(&self, builder: &str, envelope: bool) -> Result<Type> {
        let ok = self
            .send_ok
            .get(builder)
            .with_context(|| format!("cannot find `builder::{builder}::send`"))?;
        if let Some(item) = generic_arg(ok, "Vec", 0) {
            return Ok(item.clone());
        }
        let name =
            type_name(ok).with_context(|| format!("unexpected response type of `{builder}`"))?;
        let strukt = self.types.get(&name).with_context(|| {
            format!("`types::{name}` (response of `{builder}`) is not a struct")
        })?;
        let vec = match (&strukt.fields, envelope) {
            (Fields::Named(fields), true) => fields
                .named
                .iter()
                .find(|f| f.ident.as_ref().is_some_and(|i| i == "results"))
                .map(|f| &f.ty),
            (Fields::Unnamed(fields), false) if fields.unnamed.len() == 1 => {
                fields.unnamed.first().map(|f| &f.ty)
            }
            _ => None,
        };
        vec.and_then(|ty| generic_arg(ty, "Vec", 0))
            .map(|item| self.qualify_in_types(item))
            .with_context(|| {
                let expected = if envelope {
                    "a `results: Vec<T>` field"
                } else {
                    "a newtype around `Vec<T>`"
                };
                format!("`types::{name}` (response of `{builder}`) does not have {expected}")
            })
    }
}

impl Surface<'_> {
    /// A type written inside the `types` module (`CustomerModel`) as seen from the crate root
    /// (`types::CustomerModel`), like the types in builder fields and `send()` signatures.
    fn qualify_in_types(&self, ty: &Type) -> Type {
        let mut ty = ty.clone();
        if let Type::Path(path) = &mut ty {
            let local = path.qself.is_none()
                && path.path.leading_colon.is_none()
                && path.path.segments.len() == 1
                && self
                    .type_names
                    .contains(&path.path.segments[0].ident.to_string());
            if local {
                path.path.segments.insert(
                    0,
                    syn::PathSegment::from(syn::Ident::new(
                        "types",
                        proc_macro2::Span::call_site(),
                    )),
                );
            }
        }
        ty
    }
}

pub(crate) fn module_items(module: &syn::ItemMod) -> &[Item] {
    module
        .content
        .as_ref()
        .map(|(_, items)| items.as_slice())
        .unwrap_or_default()
}

/// Last path segment name of a type (`builder::ListCustomers<'_>` -> `ListCustomers`).
pub(crate) fn type_name(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

fn is_path(ty: &Type, name: &str) -> bool {
    type_name(ty).is_some_and(|n| n == name)
}

/// `builder::X<'_>` returned by a `Client` method taking only `&self`.
fn returned_builder(output: &ReturnType) -> Option<String> {
    let ReturnType::Type(_, ty) = output else {
        return None;
    };
    let Type::Path(path) = ty.as_ref() else {
        return None;
    };
    let segments: Vec<_> = path.path.segments.iter().collect();
    match segments.as_slice() {
        [module, builder] if module.ident == "builder" => Some(builder.ident.to_string()),
        _ => None,
    }
}

/// `T` in `Result<ResponseValue<T>, Error<E>>`.
fn send_ok_type(output: &ReturnType) -> Option<Type> {
    let ReturnType::Type(_, ty) = output else {
        return None;
    };
    let ok = generic_arg(ty, "Result", 0)?;
    generic_arg(ok, "ResponseValue", 0).cloned()
}

/// The `index`th type argument of `ty` if its last segment is `name`.
pub(crate) fn generic_arg<'t>(ty: &'t Type, name: &str, index: usize) -> Option<&'t Type> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != name {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    args.args
        .iter()
        .filter_map(|arg| match arg {
            GenericArgument::Type(ty) => Some(ty),
            _ => None,
        })
        .nth(index)
}

/// Client methods that start a builder take only `&self`.
fn takes_only_self(sig: &syn::Signature) -> bool {
    sig.inputs.len() == 1 && matches!(sig.inputs.first(), Some(FnArg::Receiver(_)))
}
