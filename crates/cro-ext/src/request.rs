//! One page of a paged list operation, whatever its paging style.
//!
//! The CRO API pages lists in two ways: most return the envelope
//! `{current_page, current_limit, total_pages, total_count, results}`, and a few (List
//! Materials) return a bare JSON array while still accepting `page_index`/`page_limit`.
//! [`PagedRequest`] hides the difference behind [`RawPage`]. It is implemented, by
//! `generated_paging.rs` through the macros below, for the progenitor builder of every
//! operation marked `x-cro-paging` in the spec; the builder is cloned for each page.

use std::borrow::Cow;
use std::future::Future;
use std::num::{NonZeroU32, NonZeroU64};

/// How an operation returns its items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PageStyle {
    /// The `{current_page, current_limit, total_pages, total_count, results}` envelope.
    Envelope,
    /// A bare JSON array of items; the response carries no paging numbers.
    BareArray,
}

/// One fetched page.
///
/// The four numbers are `None` for bare arrays, and also when the server sends a negative
/// number (envelope integers are decoded leniently as `i64`, see `generated.rs`), so the pager
/// never trusts a value it could not represent.
#[derive(Debug, Clone, PartialEq)]
pub struct RawPage<T> {
    /// `current_page` (1-based) as reported by the server.
    pub current_page: Option<u64>,
    /// `current_limit`: the page size the server applied.
    pub current_limit: Option<u64>,
    /// `total_pages` at the time of this request.
    pub total_pages: Option<u64>,
    /// `total_count` at the time of this request.
    pub total_count: Option<u64>,
    /// The items of this page, in server order.
    pub results: Vec<T>,
    /// The first paging number the server sent negative, with its name (the numbers above
    /// are then `None`): an impossible value the pager reports rather than ignores.
    pub negative: Option<(&'static str, i64)>,
}

/// A request for a paged list operation that can fetch any page of itself.
///
/// Implemented for the progenitor builders of paged operations (see the crate docs). Filters
/// and path parameters are set on the builder beforehand; `page_index`/`page_limit` are set by
/// [`fetch_page`](PagedRequest::fetch_page) and must not be set by the caller.
pub trait PagedRequest: Clone + Send + Sync {
    /// The item model (`cro_api::types::CustomerModel`, ...).
    type Item: serde::Serialize + serde::de::DeserializeOwned + Send + Sync + 'static;
    /// The `operationId` (`list_customers`, ...), as in `cro_api::meta::OPERATIONS`.
    const OPERATION_ID: &'static str;
    /// The paging style of the operation.
    const STYLE: PageStyle;
    /// The `operationId` of this request.
    ///
    /// The paginator asks the request rather than reading [`OPERATION_ID`](Self::OPERATION_ID)
    /// so that a request whose operation is only chosen at run time
    /// ([`RawListRequest`](crate::raw::RawListRequest)) can answer for itself.
    fn operation_id(&self) -> &'static str {
        Self::OPERATION_ID
    }
    /// The paging style of this request (see [`operation_id`](Self::operation_id) for why a
    /// method as well as the constant).
    fn style(&self) -> PageStyle {
        Self::STYLE
    }
    /// The JSON text of `item`, from which the pager reads the item's key to detect repeats.
    ///
    /// Typed items are serialized (their fields as decoded); a request whose items are
    /// already JSON ([`RawItem`](crate::raw::RawItem)) returns them as they are.
    fn item_json(item: &Self::Item) -> Cow<'_, [u8]> {
        Cow::Owned(serde_json::to_vec(item).unwrap_or_default())
    }

    /// The client the request is sent with, when the request can tell (for the limiter's
    /// figures in [`WalkStats`](crate::paging::WalkStats); the generated builders can't).
    fn client(&self) -> Option<&cro_api::Client> {
        None
    }
    /// Send the request for page `page_index` (1-based) of `page_limit` items.
    fn fetch_page(
        self,
        page_index: u32,
        page_limit: u32,
    ) -> impl Future<Output = Result<RawPage<Self::Item>, cro_api::Error>> + Send;
}

/// Something that does work with a [`PagedRequest`] whose concrete type is only known at run
/// time (see [`with_paged_request`](crate::with_paged_request)): a generic closure, in effect.
pub trait PagedVisitor {
    /// What the visit produces.
    type Output;
    /// Use `request`.
    fn visit<R: PagedRequest>(self, request: R) -> Self::Output;
}

/// A paging number as decoded from an envelope, whatever integer type typify chose for it.
pub(crate) trait PageNumber {
    /// The number, or `None` if it is negative (or absent).
    fn page_number(self) -> Option<u64>;
    /// The number if it is negative (only signed types can be).
    fn negative(self) -> Option<i64>
    where
        Self: Sized,
    {
        None
    }
}

impl PageNumber for i64 {
    fn page_number(self) -> Option<u64> {
        u64::try_from(self).ok()
    }
    fn negative(self) -> Option<i64> {
        (self < 0).then_some(self)
    }
}

impl PageNumber for i32 {
    fn page_number(self) -> Option<u64> {
        u64::try_from(self).ok()
    }
    fn negative(self) -> Option<i64> {
        (self < 0).then_some(i64::from(self))
    }
}

impl PageNumber for u64 {
    fn page_number(self) -> Option<u64> {
        Some(self)
    }
}

impl PageNumber for u32 {
    fn page_number(self) -> Option<u64> {
        Some(u64::from(self))
    }
}

impl PageNumber for NonZeroU64 {
    fn page_number(self) -> Option<u64> {
        Some(self.get())
    }
}

impl PageNumber for NonZeroU32 {
    fn page_number(self) -> Option<u64> {
        Some(u64::from(self.get()))
    }
}

impl<N: PageNumber> PageNumber for Option<N> {
    fn page_number(self) -> Option<u64> {
        self.and_then(PageNumber::page_number)
    }
    fn negative(self) -> Option<i64> {
        self.and_then(PageNumber::negative)
    }
}

/// Used by the macros: [`PageNumber::page_number`] as a function.
pub(crate) fn page_number<N: PageNumber>(number: N) -> Option<u64> {
    number.page_number()
}

/// Used by the macros: the first of the four envelope numbers that is negative.
pub(crate) fn first_negative<A, B, C, D>(
    current_page: A,
    current_limit: B,
    total_pages: C,
    total_count: D,
) -> Option<(&'static str, i64)>
where
    A: PageNumber,
    B: PageNumber,
    C: PageNumber,
    D: PageNumber,
{
    current_page
        .negative()
        .map(|n| ("current_page", n))
        .or_else(|| current_limit.negative().map(|n| ("current_limit", n)))
        .or_else(|| total_pages.negative().map(|n| ("total_pages", n)))
        .or_else(|| total_count.negative().map(|n| ("total_count", n)))
}

/// A page number or size on its way to a builder setter.
///
/// typify picks the setter's integer type from the spec (`NonZeroU32` for `int32` with
/// `minimum: 1`, `i64`, ...); this converts into each of them, so the macros need not know
/// which. A value the type cannot hold (0 for a `NonZero` type) makes the builder's `send()`
/// fail with `InvalidRequest`, as any bad setter value does.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PageArg(pub(crate) u32);

/// `impl TryFrom<PageArg> for $target`, given `|n: u32| -> Option<$target>`.
macro_rules! page_arg_into {
    ($($target:ty => $convert:expr),* $(,)?) => {$(
        impl TryFrom<PageArg> for $target {
            type Error = &'static str;
            fn try_from(value: PageArg) -> Result<Self, Self::Error> {
                let convert: fn(u32) -> Option<$target> = $convert;
                convert(value.0).ok_or("page number out of range for the parameter type")
            }
        }
    )*};
}
page_arg_into!(
    i32 => |n| i32::try_from(n).ok(),
    i64 => |n| Some(i64::from(n)),
    NonZeroU32 => NonZeroU32::new,
    NonZeroU64 => |n| NonZeroU64::new(u64::from(n)),
);

impl From<PageArg> for u32 {
    fn from(value: PageArg) -> Self {
        value.0
    }
}

impl From<PageArg> for u64 {
    fn from(value: PageArg) -> Self {
        u64::from(value.0)
    }
}

/// `impl PagedRequest` for the builder of an envelope-paged operation.
///
/// `impl_envelope_paged!(ListCustomers, "list_customers", ::cro_api::types::CustomerModel);`
macro_rules! impl_envelope_paged {
    ($builder:ident, $operation_id:literal, $item:ty) => {
        impl<'a> $crate::request::PagedRequest for ::cro_api::builder::$builder<'a> {
            type Item = $item;
            const OPERATION_ID: &'static str = $operation_id;
            const STYLE: $crate::request::PageStyle = $crate::request::PageStyle::Envelope;

            fn fetch_page(
                self,
                page_index: u32,
                page_limit: u32,
            ) -> impl ::std::future::Future<
                Output = ::std::result::Result<
                    $crate::request::RawPage<Self::Item>,
                    ::cro_api::Error,
                >,
            > + Send {
                async move {
                    let envelope = self
                        .page_index($crate::request::PageArg(page_index))
                        .page_limit($crate::request::PageArg(page_limit))
                        .send()
                        .await?
                        .into_inner();
                    Ok($crate::request::RawPage {
                        negative: $crate::request::first_negative(
                            envelope.current_page,
                            envelope.current_limit,
                            envelope.total_pages,
                            envelope.total_count,
                        ),
                        current_page: $crate::request::page_number(envelope.current_page),
                        current_limit: $crate::request::page_number(envelope.current_limit),
                        total_pages: $crate::request::page_number(envelope.total_pages),
                        total_count: $crate::request::page_number(envelope.total_count),
                        results: envelope.results,
                    })
                }
            }
        }
    };
}
pub(crate) use impl_envelope_paged;

/// `impl PagedRequest` for the builder of a bare-array-paged operation.
///
/// `impl_bare_array_paged!(ListMaterials, "list_materials", ::cro_api::types::MaterialModel);`
/// The body is a `Vec` of items or typify's newtype around one (which converts `Into` it).
macro_rules! impl_bare_array_paged {
    ($builder:ident, $operation_id:literal, $item:ty) => {
        impl<'a> $crate::request::PagedRequest for ::cro_api::builder::$builder<'a> {
            type Item = $item;
            const OPERATION_ID: &'static str = $operation_id;
            const STYLE: $crate::request::PageStyle = $crate::request::PageStyle::BareArray;

            fn fetch_page(
                self,
                page_index: u32,
                page_limit: u32,
            ) -> impl ::std::future::Future<
                Output = ::std::result::Result<
                    $crate::request::RawPage<Self::Item>,
                    ::cro_api::Error,
                >,
            > + Send {
                async move {
                    let body = self
                        .page_index($crate::request::PageArg(page_index))
                        .page_limit($crate::request::PageArg(page_limit))
                        .send()
                        .await?
                        .into_inner();
                    Ok($crate::request::RawPage {
                        current_page: None,
                        current_limit: None,
                        total_pages: None,
                        total_count: None,
                        negative: None,
                        results: ::std::vec::Vec::<Self::Item>::from(body),
                    })
                }
            }
        }
    };
}
pub(crate) use impl_bare_array_paged;
