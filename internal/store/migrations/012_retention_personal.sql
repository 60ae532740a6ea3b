-- Retention of the personal data conversions keep (issue 24): the stored
-- postback's identity, traits and parameters, the click id, subs and the
-- unattributed reason (which quotes ids) are removed from conversions whose last
-- change is older than CONVRELAY_RETENTION_CONVERSION_PERSONAL. The job finds
-- them, oldest first, through this index of the conversions that still hold any;
-- the key list is store.personalKeys.
CREATE INDEX conversions_personal ON conversions (updated_at)
    WHERE click_id <> '' OR subs <> '{}'::jsonb
       OR postback ?| ARRAY['click_id','ref_id','email','visitor_id','page_id','ip','user_agent','traits','params','passthrough','items','subs','event_id']::text[];
