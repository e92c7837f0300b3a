//! Admin rows: the audit log.
