//! What to run: vector cases turned into protocol requests with their expectations, selected and graded.

pub mod expectations;
pub mod grade;
pub mod limits;
pub mod plan;
pub mod select;
pub mod wycheproof;
