package postgres

// eventsChannel is the notification channel of the triggers on events and
// webhook_deliveries (migration 018_webhooks_notify.postgres.sql). The key
// listener's connection listens on it and wakes this replica's live feeds
// and webhook workers when any replica commits events or queues
// deliveries. Without it they would wait for their poll; writes made on
// this replica wake them at commit anyway (sqlstore's event hub), the
// listener brings the others' writes.
const eventsChannel = "ksp_events"
