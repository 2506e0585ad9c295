-- Full-text search (SQLite): FTS5 tables over the library and the
-- entities, kept in step by triggers so that no store code has to remember
-- them, and the daily count of searches.
--
-- The tokenizer keeps diacritics (remove_diacritics 0) and takes letters,
-- digits, marks and private-use characters as word characters, everything
-- else as a separator: that is what PostgreSQL's side (011_search.postgres.sql)
-- does with to_tsvector('simple') over text whose non-alphanumeric runs are
-- made spaces, so that both stores find the same items for the same words.
--
-- The last word of a query is matched as a prefix while it is being typed:
-- prefix indexes of 2, 3 and 4 characters make that one lookup instead of a
-- merge of every word that starts so.
--
-- Each FTS table keeps its own copy of the text (snippets need it) and the
-- item's id. Its rowid comes from a key table of its own: the implicit
-- rowids of resources and entities (TEXT primary keys) may change under
-- VACUUM, which would leave an external-content index pointing at the
-- wrong rows.

CREATE TABLE resource_search_keys (
	n  INTEGER PRIMARY KEY,
	id TEXT NOT NULL UNIQUE
);
CREATE VIRTUAL TABLE resources_fts USING fts5(
	title, summary, body, tags, id UNINDEXED,
	tokenize = "unicode61 remove_diacritics 0 categories 'L* N* Co M*'",
	prefix = '2 3 4'

);

CREATE TRIGGER resources_search_insert AFTER INSERT ON resources BEGIN
	INSERT INTO resource_search_keys (id) VALUES (new.id);
	INSERT INTO resources_fts (rowid, title, summary, body, tags, id)
		VALUES ((SELECT n FROM resource_search_keys WHERE id = new.id), new.title, new.summary, new.body, new.tags, new.id);
END;

CREATE TRIGGER resources_search_update AFTER UPDATE OF title, summary, body, tags ON resources BEGIN
	UPDATE resources_fts SET title = new.title, summary = new.summary, body = new.body, tags = new.tags
		WHERE rowid = (SELECT n FROM resource_search_keys WHERE id = new.id);
END;

CREATE TRIGGER resources_search_delete AFTER DELETE ON resources BEGIN
	DELETE FROM resources_fts WHERE rowid = (SELECT n FROM resource_search_keys WHERE id = old.id);
	DELETE FROM resource_search_keys WHERE id = old.id;
END;

-- Entities: the name, the original-script name, the aliases' names (one a
-- line, out of their JSON) and the UN list's comments.
CREATE TABLE entity_search_keys (
	n  INTEGER PRIMARY KEY,
	id TEXT NOT NULL UNIQUE
);
CREATE VIRTUAL TABLE entities_fts USING fts5(
	name, original_name, aliases, comments, id UNINDEXED,
	tokenize = "unicode61 remove_diacritics 0 categories 'L* N* Co M*'",
	prefix = '2 3 4'

);

CREATE TRIGGER entities_search_insert AFTER INSERT ON entities BEGIN
	INSERT INTO entity_search_keys (id) VALUES (new.id);
	INSERT INTO entities_fts (rowid, name, original_name, aliases, comments, id)
		VALUES ((SELECT n FROM entity_search_keys WHERE id = new.id), new.name, new.original_name,
			COALESCE((SELECT group_concat(json_extract(a.value, '$.name'), char(10)) FROM json_each(new.aliases) a), ''),
			new.comments, new.id);
END;

CREATE TRIGGER entities_search_update AFTER UPDATE OF name, original_name, aliases, comments ON entities BEGIN
	UPDATE entities_fts SET name = new.name, original_name = new.original_name,
		aliases = COALESCE((SELECT group_concat(json_extract(a.value, '$.name'), char(10)) FROM json_each(new.aliases) a), ''),
		comments = new.comments
		WHERE rowid = (SELECT n FROM entity_search_keys WHERE id = new.id);
END;

CREATE TRIGGER entities_search_delete AFTER DELETE ON entities BEGIN
	DELETE FROM entities_fts WHERE rowid = (SELECT n FROM entity_search_keys WHERE id = old.id);
	DELETE FROM entity_search_keys WHERE id = old.id;
END;

-- Entities (and resources) already in a deployed database.
INSERT INTO resource_search_keys (id) SELECT id FROM resources ORDER BY id;
INSERT INTO resources_fts (rowid, title, summary, body, tags, id)
	SELECT k.n, r.title, r.summary, r.body, r.tags, r.id FROM resources r JOIN resource_search_keys k ON k.id = r.id;
INSERT INTO entity_search_keys (id) SELECT id FROM entities ORDER BY id;
INSERT INTO entities_fts (rowid, name, original_name, aliases, comments, id)
	SELECT k.n, e.name, e.original_name,
		COALESCE((SELECT group_concat(json_extract(a.value, '$.name'), char(10)) FROM json_each(e.aliases) a), ''),
		e.comments, e.id
	FROM entities e JOIN entity_search_keys k ON k.id = e.id;

-- Searches per day (UTC), for the transparency report; the words searched
-- are never stored.
CREATE TABLE search_counts (
	day      TEXT PRIMARY KEY,
	searches BIGINT NOT NULL
);
