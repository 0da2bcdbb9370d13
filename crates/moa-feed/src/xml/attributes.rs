//! An element's attributes, read without quick-xml's duplicate check (which allocates for every element).

use quick_xml::events::BytesStart;

use crate::html::decode_entities;

/// Attributes without quick-xml's duplicate check, which allocates for every element read.
pub(super) fn attributes<'a>(e: &'a BytesStart) -> impl Iterator<Item = quick_xml::events::attributes::Attribute<'a>> {
    let mut attributes = e.attributes();
    attributes.with_checks(false);
    attributes.flatten()
}

/// The values of several attributes in one pass over the element's attributes.
pub(super) fn attr_values<const N: usize>(e: &BytesStart, names: [&str; N]) -> [Option<String>; N] {
    let mut values = [const { None }; N];
    for a in attributes(e) {
        if let Some(k) = names.iter().position(|n| a.key.as_ref() == *n) {
            values[k] = Some(decode_entities(&a.value));
        }
    }
    values
}

pub(super) fn attr_value(e: &BytesStart, name: &str) -> Option<String> {
    attributes(e).find(|a| a.key.as_ref() == name).map(|a| decode_entities(&a.value))
}
