"""Outbound webhooks: HMAC-signed deliveries of ticket events, retries with backoff, a dead-letter
list with replay, and a connect-time guard against private and loopback targets."""
