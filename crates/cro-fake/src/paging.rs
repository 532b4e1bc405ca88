//! Paging as documented (facts §2.6): `page_index` 1..10000, `page_limit` 1..1000, default page
//! size 100, and the envelope `{current_page, current_limit, total_pages, total_count,
//! results}`. A page past the end is an envelope with the requested `current_page` and no
//! results.

use crate::errors::ApiError;
use crate::json::JsonBuf;
use crate::request::Query;

/// Default `page_limit` (every documented sample shows `current_limit: 100`).
pub const DEFAULT_LIMIT: u64 = 100;
/// Largest `page_limit`.
pub const MAX_LIMIT: u64 = 1000;
/// Largest `page_index`.
pub const MAX_INDEX: u64 = 10_000;

/// A requested page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageReq {
    /// 1-based page number.
    pub index: u64,
    /// Page size.
    pub limit: u64,
}

impl PageReq {
    /// Reads `page_index`/`page_limit` (already type-checked against the spec) and enforces the
    /// documented ranges even if the spec forgot them.
    pub fn from_query(q: &Query, model: &str) -> Result<PageReq, ApiError> {
        let get = |name: &str, default: u64, max: u64| -> Result<u64, ApiError> {
            match q.int(name) {
                None => Ok(default),
                Some(v) if v >= 1 && (v as u64) <= max => Ok(v as u64),
                Some(_) => Err(ApiError::bad_request(
                    format!("{model}.{name}"),
                    format!("Must be greater than or equal to 1 and less than or equal to {max}."),
                )),
            }
        };
        Ok(PageReq {
            index: get("page_index", 1, MAX_INDEX)?,
            limit: get("page_limit", DEFAULT_LIMIT, MAX_LIMIT)?,
        })
    }
}

/// The slice of a listing one request returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// What was asked for.
    pub req: PageReq,
    /// `total_count` as reported (real count plus any injected drift, never negative).
    pub total_count: u64,
    /// `total_pages` as reported.
    pub total_pages: u64,
    /// First position (0-based) of the slice in the real listing.
    pub start: u64,
    /// One past the last position.
    pub end: u64,
}

impl Page {
    /// The page `req` of a listing of `total` items; `drift` (fault injection) shifts the
    /// reported `total_count`, not the data.
    pub fn of(req: PageReq, total: u64, drift: i64) -> Page {
        let reported = total.saturating_add_signed(drift);
        let start = (req.index - 1).saturating_mul(req.limit).min(total);
        let end = start.saturating_add(req.limit).min(total);
        Page {
            req,
            total_count: reported,
            total_pages: reported.div_ceil(req.limit),
            start,
            end,
        }
    }

    /// The same page with its slice moved `rows` positions earlier (later if negative), as
    /// offset paging serves it when rows were inserted (deleted) ahead of it; totals are kept.
    pub fn shifted(mut self, rows: i64, total: u64) -> Page {
        if rows != 0 {
            let start = (self.req.index - 1).saturating_mul(self.req.limit);
            self.start = start.saturating_add_signed(-rows).min(total);
            self.end = self.start.saturating_add(self.req.limit).min(total);
        }
        self
    }

    /// Number of items on this page.
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    /// True when the page has no items.
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }

    /// Writes the envelope up to the opening `[` of `results`.
    pub fn open(&self, out: &mut JsonBuf) {
        out.raw("{\"current_page\":");
        out.int(self.req.index as i64);
        out.raw(",\"current_limit\":");
        out.int(self.req.limit as i64);
        out.raw(",\"total_pages\":");
        out.int(self.total_pages as i64);
        out.raw(",\"total_count\":");
        out.int(self.total_count as i64);
        out.raw(",\"results\":[");
    }

    /// Closes what [`Page::open`] opened.
    pub fn close(out: &mut JsonBuf) {
        out.raw("]}");
    }
}

/// Writes a paged response: `item(position, out)` renders each item of the slice.
pub fn write_page(
    page: &Page,
    bare: bool,
    approx_item_len: usize,
    mut item: impl FnMut(u64, &mut JsonBuf),
) -> JsonBuf {
    let mut out = JsonBuf::with_capacity(128 + page.len() as usize * approx_item_len);
    if bare {
        out.raw("[");
    } else {
        page.open(&mut out);
    }
    for (n, pos) in (page.start..page.end).enumerate() {
        if n > 0 {
            out.raw(",");
        }
        item(pos, &mut out);
    }
    if bare {
        out.raw("]");
    } else {
        Page::close(&mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(index: u64, limit: u64) -> PageReq {
        PageReq { index, limit }
    }

    #[test]
    fn shifted_pages_repeat_or_skip_rows() {
        let p = Page::of(req(2, 100), 504, 0).shifted(30, 504);
        assert_eq!((p.start, p.end, p.total_count), (70, 170, 504));
        let p = Page::of(req(6, 100), 504, 0).shifted(30, 504);
        assert_eq!((p.start, p.end), (470, 504));
        let p = Page::of(req(2, 100), 504, 0).shifted(-30, 504);
        assert_eq!((p.start, p.end), (130, 230));
        let p = Page::of(req(1, 100), 504, 0).shifted(500, 504);
        assert_eq!((p.start, p.end), (0, 100));
    }

    #[test]
    fn envelope_math() {
        let p = Page::of(req(1, 100), 504, 0);
        assert_eq!((p.total_pages, p.start, p.end), (6, 0, 100));
        let p = Page::of(req(6, 100), 504, 0);
        assert_eq!((p.start, p.end), (500, 504));
        let p = Page::of(req(7, 100), 504, 0);
        assert!(p.is_empty());
        let p = Page::of(req(2, 50), 100, 0);
        assert_eq!((p.total_pages, p.start, p.end), (2, 50, 100));
        let p = Page::of(req(1, 100), 0, 0);
        assert_eq!((p.total_pages, p.total_count, p.len()), (0, 0, 0));
        let p = Page::of(req(10_000, 1000), 3, 0);
        assert!(p.is_empty());
        let p = Page::of(req(1, 10), 5, -10);
        assert_eq!((p.total_count, p.len()), (0, 5));
    }
}
