-- Full-text search (PostgreSQL): a tsvector column per searched table,
-- generated from the row so that no store code has to keep it, with a GIN
-- index, and the daily count of searches.
--
-- The 'simple' configuration (lower case, no stemming, no stop words) over
-- text whose non-alphanumeric runs are made spaces gives words of letters,
-- digits and marks, as SQLite's FTS5 tokenizer is set to in
-- 011_search.sqlite.sql, so that both stores find the same items for the
-- same words. The parser would otherwise keep "al-qaida", URLs or e-mail
-- addresses as words of their own and drop what looks like an HTML tag.
-- Weights: A for titles and names, B for tags, summaries and aliases, D for
-- bodies and comments.

ALTER TABLE resources ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
	setweight(to_tsvector('simple', regexp_replace(title, '[^[:alnum:]]+', ' ', 'g')), 'A') ||
	setweight(to_tsvector('simple', regexp_replace(tags, '[^[:alnum:]]+', ' ', 'g')), 'B') ||
	setweight(to_tsvector('simple', regexp_replace(summary, '[^[:alnum:]]+', ' ', 'g')), 'B') ||
	setweight(to_tsvector('simple', regexp_replace(body, '[^[:alnum:]]+', ' ', 'g')), 'D')
) STORED;
CREATE INDEX resources_search ON resources USING GIN (search_vector);

-- The aliases' names come out of their JSON as a JSON array's text; its
-- escapes (\" \\ \n \u0001) are made spaces before the words are taken, so
-- that an escape's letter does not join the next word.
ALTER TABLE entities ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
	setweight(to_tsvector('simple', regexp_replace(name, '[^[:alnum:]]+', ' ', 'g')), 'A') ||
	setweight(to_tsvector('simple', regexp_replace(original_name, '[^[:alnum:]]+', ' ', 'g')), 'A') ||
	setweight(to_tsvector('simple', regexp_replace(regexp_replace(jsonb_path_query_array(aliases::jsonb, '$[*].name')::text,
		'\\(u[0-9a-fA-F]{4}|.)', ' ', 'g'), '[^[:alnum:]]+', ' ', 'g')), 'B') ||
	setweight(to_tsvector('simple', regexp_replace(comments, '[^[:alnum:]]+', ' ', 'g')), 'D')
) STORED;
CREATE INDEX entities_search ON entities USING GIN (search_vector);

-- Searches per day (UTC), for the transparency report; the words searched
-- are never stored.
CREATE TABLE search_counts (
	day      TEXT PRIMARY KEY,
	searches BIGINT NOT NULL
);
