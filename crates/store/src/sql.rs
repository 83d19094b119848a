//! What both backends share, written once.

pub(crate) mod migrations;
