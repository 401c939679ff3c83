//! Every part opens its solution with an answer box (issue 12): the answer a
//! grader looks for, before the derivation.

use nnbook::content::Block;
use nnbook::content::markdown::plain_text;

use crate::common;

#[test]
fn every_part_has_an_answer_box_first_under_its_solution() {
    let nb = common::embedded_notebook();
    let parts: Vec<_> = nb.problems.iter().flat_map(|p| &p.parts).collect();
    assert_eq!(parts.len(), 16, "the midterm has 16 parts");
    let mut missing = Vec::new();
    for part in parts {
        let first = part.solution().first();
        match (first, part.answer()) {
            (Some(Block::Answer { blocks, .. }), Some(found))
                if std::ptr::eq(first.unwrap(), found) =>
            {
                let text: String = blocks
                    .iter()
                    .filter_map(|b| match b {
                        Block::Paragraph { text, .. } => Some(plain_text(text)),
                        _ => None,
                    })
                    .collect();
                assert!(
                    text.split_whitespace().count() >= 5,
                    "{}: the answer box says something: {text:?}",
                    part.id
                );
            }
            _ => missing.push(part.id.clone()),
        }
    }
    assert!(
        missing.is_empty(),
        "no answer box first under Solution: {missing:?}"
    );
}
