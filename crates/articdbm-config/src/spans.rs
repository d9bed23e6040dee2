//! Where keys are in a TOML text: byte spans of every key and value (from `toml_edit`'s
//! spanned parse), key path ↔ span lookups, and byte offset → line/column.

use std::ops::Range;

use toml_edit::{Item, TableLike, Value};

/// Byte offset → 1-based line and column.
#[derive(Debug, Clone)]
pub(crate) struct LineIndex {
    /// Byte offset where each line starts.
    starts: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self { starts }
    }

    /// 1-based line of `offset`.
    pub(crate) fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset).max(1)
    }

    /// 1-based line and column (in characters) of `offset` in `text`.
    pub(crate) fn line_column(&self, text: &str, offset: usize) -> (usize, usize) {
        let line = self.line(offset);
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        let column = text
            .get(start..offset.min(text.len()))
            .map_or(1, |s| s.chars().count() + 1);
        (line, column)
    }
}

/// One key of the document with its spans.
#[derive(Debug, Clone)]
struct Entry {
    path: Vec<String>,
    key: Option<Range<usize>>,
    value: Option<Range<usize>>,
}

/// Every key of a parsed document (tables, inline tables and dotted keys; not inside
/// arrays), with the spans of the key and its value.
#[derive(Debug, Clone, Default)]
pub(crate) struct KeyIndex {
    entries: Vec<Entry>,
}

impl KeyIndex {
    /// Indexes a document parsed with spans (`toml_edit::ImDocument`).
    pub(crate) fn build(root: &dyn TableLike) -> Self {
        let mut index = Self::default();
        index.walk(root, &mut Vec::new());
        index
    }

    fn walk(&mut self, table: &dyn TableLike, prefix: &mut Vec<String>) {
        for (name, item) in table.iter() {
            prefix.push(name.to_owned());
            let key = table.key(name).and_then(|k| k.span());
            self.entries.push(Entry {
                path: prefix.clone(),
                key,
                value: item_span(item),
            });
            if let Some(child) = item.as_table_like() {
                self.walk(child, prefix);
            }
            prefix.pop();
        }
    }

    /// Start offset of the key at `path` (its key, else its value), if it is in the text.
    pub(crate) fn offset_of(&self, path: &[String]) -> Option<usize> {
        let entry = self.entries.iter().find(|e| e.path == path)?;
        entry
            .key
            .as_ref()
            .or(entry.value.as_ref())
            .map(|span| span.start)
    }

    /// The deepest key whose key or value span overlaps `span`.
    pub(crate) fn path_at(&self, span: &Range<usize>) -> Option<&[String]> {
        self.entries
            .iter()
            .filter(|e| {
                [&e.key, &e.value]
                    .into_iter()
                    .flatten()
                    .any(|s| overlaps(s, span))
            })
            .max_by_key(|e| e.path.len())
            .map(|e| e.path.as_slice())
    }
}

/// The span of an item; for an array of tables, from its first to its last table.
fn item_span(item: &Item) -> Option<Range<usize>> {
    match item {
        Item::ArrayOfTables(array) => {
            let mut spans = array.iter().filter_map(toml_edit::Table::span);
            let first = spans.next()?;
            let end = spans.last().map_or(first.end, |s| s.end);
            Some(first.start..end)
        }
        Item::Value(Value::InlineTable(t)) => t.span(),
        other => other.span(),
    }
}

/// Whether `a` and `b` share a byte, or the empty `b` sits inside `a`.
fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    if b.is_empty() {
        a.start <= b.start && b.start < a.end.max(a.start + 1)
    } else {
        a.start < b.end && b.start < a.end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns() {
        let text = "a = 1\nbé = 2\n";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_column(text, 0), (1, 1));
        assert_eq!(idx.line_column(text, 6), (2, 1));
        assert_eq!(idx.line_column(text, 10), (2, 4));
    }

    #[test]
    fn paths_and_offsets() {
        let text = "[databases.main]\nport = 1\n[databases.main.pool]\nsize = 2\n";
        let doc = toml_edit::ImDocument::parse(text).expect("valid");
        let index = KeyIndex::build(doc.as_table());
        let lines = LineIndex::new(text);
        let path = |p: &[&str]| p.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let line_of = |p: &[&str]| index.offset_of(&path(p)).map(|o| lines.line(o));
        assert_eq!(line_of(&["databases", "main", "port"]), Some(2));
        assert_eq!(line_of(&["databases", "main", "pool", "size"]), Some(4));
        assert_eq!(line_of(&["databases", "main", "pool"]), Some(3));
        let size_at = text.find("2\n").expect("present");
        assert_eq!(
            index.path_at(&(size_at..size_at + 1)),
            Some(path(&["databases", "main", "pool", "size"]).as_slice())
        );
    }
}
