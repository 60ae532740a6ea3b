-- The first-party tag (issue 25): GET /t.js, POST /{account}/t/hit|conversion.
--
-- Per account: the origins whose pages may call the browser endpoints (exact
-- "scheme://host[:port]"; none: every browser call is refused), the events a
-- browser may send (none: no browser conversion is accepted), and the offer
-- domains whose links the tag rewrites with the click id (AutoTag), each with
-- the parameter its network reads ("" only replaces placeholders).
ALTER TABLE accounts
    ADD COLUMN tag_origins       text[] NOT NULL DEFAULT '{}',
    ADD COLUMN tag_events        text[] NOT NULL DEFAULT '{}',
    ADD COLUMN tag_offer_domains jsonb  NOT NULL DEFAULT '[]';

-- What a tag hit carries beyond a click (its GA client id and ttp go in the
-- clicks columns of migration 013): the page's consent flag and the page URL.
-- One row per click, gone with its click (erasure, retention).
CREATE TABLE tag_hits (
    click_id     text PRIMARY KEY REFERENCES clicks (id) ON DELETE CASCADE,
    account_id   text NOT NULL,
    consent      text NOT NULL DEFAULT '' CHECK (consent IN ('', 'granted', 'denied')),
    page_url     text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now()
);
