package sqlstore

import (
	"slices"
)

// questionArm ranks the questions the caller may see (the sharing rule in
// the query, as for resources): title, tags and body, weighted as the
// library's title, tags and body.
func (db *DB) questionArm(p *searchPlan) (string, []any) {
	vis, args := Visible(p.viewer, "q", "id")
	if db.d.Name == "sqlite" {
		return `SELECT 'question' AS type, q.id AS id, -` + questionBM25 + ` AS score FROM questions_fts JOIN question_search_keys k ON k.n = questions_fts.rowid JOIN questions q ON q.id = k.id
			WHERE questions_fts MATCH ? AND ` + vis, append([]any{p.terms.fts5()}, args...)
	}
	return `SELECT 'question' AS type, q.id AS id, ts_rank_cd(q.search_vector, to_tsquery('simple', ?), 32) AS score FROM questions q
		WHERE q.search_vector @@ to_tsquery('simple', ?) AND ` + vis, append([]any{p.terms.tsquery(), p.terms.tsquery()}, args...)
}

// questionSnippetFTS5 reads one question hit under the sharing rule again,
// with snippets of its body and its title.
func questionSnippetFTS5(p *searchPlan, id string, snip []any) (string, []any) {
	vis, visArgs := Visible(p.viewer, "q", "id")
	query := `SELECT q.owner_org_id, q.distribution, q.tlp, q.title, '', snippet(questions_fts, 1, ?, ?, '…', ?), snippet(questions_fts, 0, ?, ?, '…', ?)
		FROM questions_fts JOIN question_search_keys k ON k.n = questions_fts.rowid JOIN questions q ON q.id = k.id
		WHERE questions_fts MATCH ? AND questions_fts.rowid = (SELECT n FROM question_search_keys WHERE id = ?) AND ` + vis
	return query, slices.Concat(snip, []any{p.terms.fts5(), id}, visArgs)
}

// questionHeadlines reads a page's question hits in one query, under the
// sharing rule again; the caller has put the two headlines' arguments
// first.
func questionHeadlines(p *searchPlan, ids []any) (string, []any) {
	vis, visArgs := Visible(p.viewer, "q", "id")
	query := `SELECT q.id, q.owner_org_id, q.distribution, q.tlp, q.title, '',
		ts_headline('simple', ` + headlineText("q.body") + `, to_tsquery('simple', ?), ?),
		ts_headline('simple', ` + headlineText("q.title") + `, to_tsquery('simple', ?), ?)
		FROM questions q WHERE q.id IN (` + placeholders(len(ids)) + `) AND ` + vis
	return query, append(slices.Clone(ids), visArgs...)
}
