
pub mod runtime;
pub mod crypto;
pub mod store;
