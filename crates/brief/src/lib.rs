//! brief
