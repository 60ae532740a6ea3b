-- Until this migration an unrecognised user agent's first token was kept as the
-- browser (and could be an email address or a name the sender chose), in columns
-- that stay after an erasure. Keep only the parser's own names (the lists of
-- store/useragent.go at this migration), Other for the rest.
UPDATE clicks SET browser = 'Other'
WHERE browser <> '' AND browser NOT IN ('Opera', 'Opera Mini', 'Opera Touch', 'Chrome', 'Headless Chrome',
    'Firefox', 'Internet Explorer', 'Safari', 'Edge', 'Vivaldi', 'Mobile Safari', 'NetFront', 'Mozilla', 'MSIE',
    'Samsung Browser', 'Google Ads Bot', 'Googlebot', 'Twitterbot', 'facebookexternalhit', 'Applebot', 'Bingbot',
    'YandexBot', 'YandexAdNet', 'Facebook App', 'Instagram App', 'TikTok App');
UPDATE conversions SET browser = 'Other'
WHERE browser <> '' AND browser NOT IN ('Opera', 'Opera Mini', 'Opera Touch', 'Chrome', 'Headless Chrome',
    'Firefox', 'Internet Explorer', 'Safari', 'Edge', 'Vivaldi', 'Mobile Safari', 'NetFront', 'Mozilla', 'MSIE',
    'Samsung Browser', 'Google Ads Bot', 'Googlebot', 'Twitterbot', 'facebookexternalhit', 'Applebot', 'Bingbot',
    'YandexBot', 'YandexAdNet', 'Facebook App', 'Instagram App', 'TikTok App');
UPDATE clicks SET os = 'Other'
WHERE os <> '' AND os NOT IN ('Windows', 'Windows Phone', 'Windows NT', 'Windows Phone OS', 'Android', 'macOS',
    'iOS', 'Linux', 'FreeBSD', 'ChromeOS', 'BlackBerry', 'CrOS', 'Harmony');
UPDATE conversions SET os = 'Other'
WHERE os <> '' AND os NOT IN ('Windows', 'Windows Phone', 'Windows NT', 'Windows Phone OS', 'Android', 'macOS',
    'iOS', 'Linux', 'FreeBSD', 'ChromeOS', 'BlackBerry', 'CrOS', 'Harmony');
