-- Staff paging: when an urgent alert (a threat to life, or a removal
-- order) that routes to no member was paged to every staff member. Urgent
-- alerts already waiting when this runs are history, not paged; the others
-- page if a merged request makes them a threat to life.
ALTER TABLE alerts ADD COLUMN paged_at BIGINT;
UPDATE alerts SET paged_at = created_at WHERE receiver_org_id = '' AND (tier = 'threat_to_life' OR kind = 'tco_removal_order');
-- Only alerts waiting with staff and not yet paged are indexed: the index
-- stays tiny, and the pager reads it at every event commit.
CREATE INDEX alerts_unpaged ON alerts(created_at) WHERE receiver_org_id = '' AND paged_at IS NULL;
