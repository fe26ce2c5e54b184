//! roundup: a weekly tech and business news digest by email.
//!
//! Stages, each a module with its own types: `feeds` (fetch, parse) →
//! `extract` → `pick` (with `cluster`) → `summarize` → `assemble` → `render` → `deliver`, with
//! `store` as the record of truth and `pipeline` as the only place that
//! chains them.

pub mod archive;
pub mod assemble;
pub mod check;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod deliver;
pub mod domain;
pub mod editor;
pub mod explain;
pub mod extract;
pub mod feeds;
pub mod http;
pub mod measure;
pub mod pick;
pub mod pipeline;
pub mod render;
pub mod schedule;
pub mod service;
pub mod store;
pub mod summarize;
pub mod telemetry;
