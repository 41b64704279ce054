"""Webhooks (事件推送): subscriptions per event type, one delivery row per subscription and event
written in the business transaction, sent after commit by `run_webhook_deliveries`, HMAC-signed."""
