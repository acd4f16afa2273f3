-- Webhook deliveries by project. Keep this file equivalent to ../sqlite/0006_webhook_windows.sql.
-- A delivery is applied with the project's others received in the same short window: the
-- worker finds them by project among those not applied yet.
ALTER TABLE webhook_deliveries ADD COLUMN project_key TEXT;
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (project_key, applied_ms, received_ms);
