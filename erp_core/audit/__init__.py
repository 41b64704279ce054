"""The audit log (操作日志): who did what, when, from where, with before and after. Append-only."""
