/* an_test: see an_test.h. */
#include "an_test.h"

void an_walk_free(an_walk *w)
{
    for (size_t i = 0; i < w->n; i++)
        sf_inv_source_clear(&w->srcs[i]);
    free(w->srcs);
    memset(w, 0, sizeof *w);
}

int an_run(const sf_analyzer *a, const char *path, unsigned mode, const void *data,
                         size_t len, sf_inv_source *src, sf_error *err)
{
    sf_entry e = {path, len, mode};
    memset(src, 0, sizeof *src);
    src->path = strdup(path);
    src->analyzer = strdup(a->name);
    if (a->sniff && !a->sniff(&e, data, len < 4096 ? len : 4096))
        return 1;
    return a->parse(&e, data, len, src, err);
}

const char *an_norm(const char *p)
{
    while (p[0] == '.' && p[1] == '/')
        p += 2;
    while (p[0] == '/')
        p++;
    return p;
}

int an_walk_archive(struct archive *ar, an_walk *w)
{
    struct archive_entry *ae;
    while (archive_read_next_header(ar, &ae) == ARCHIVE_OK) {
        w->entries++;
        const char *path = an_norm(archive_entry_pathname(ae));
        sf_entry e = {path, (uint64_t)archive_entry_size(ae), (unsigned)archive_entry_mode(ae)};
        uint8_t *data = NULL;
        size_t len = 0;
        int have = 0;
        for (int i = 0; sf_analyzers[i]; i++) {
            const sf_analyzer *a = sf_analyzers[i];
            if (!a->wants(&e) || e.size > a->max_bytes)
                continue;
            if (!have) {
                len = (size_t)e.size;
                data = malloc(len ? len : 1);
                if (!data)
                    return -1;
                la_ssize_t got = archive_read_data(ar, data, len);
                if (got < 0 || (size_t)got != len) {
                    free(data);
                    return -1;
                }
                have = 1;
            }
            if (a->sniff && !a->sniff(&e, data, len < 4096 ? len : 4096))
                continue;
            if (w->n == w->cap) {
                w->cap = w->cap ? w->cap * 2 : 32;
                w->srcs = realloc(w->srcs, w->cap * sizeof *w->srcs);
            }
            sf_inv_source *src = &w->srcs[w->n++];
            memset(src, 0, sizeof *src);
            src->path = strdup(path);
            src->analyzer = strdup(a->name);
            sf_error err = SF_ERROR_INIT;
            if (a->parse(&e, data, len, src, &err) != SF_OK) {
                src->status = SF_SRC_ERROR;
                free(src->note);
                src->note = strdup(err.msg);
            }
        }
        free(data);
    }
    return 0;
}

int an_walk_file(const char *tarball, an_walk *w)
{
    memset(w, 0, sizeof *w);
    struct archive *ar = archive_read_new();
    archive_read_support_filter_all(ar);
    archive_read_support_format_tar(ar);
    archive_read_support_format_gnutar(ar);
    int rc = -1;
    if (archive_read_open_filename(ar, tarball, 1 << 16) == ARCHIVE_OK)
        rc = an_walk_archive(ar, w);
    archive_read_free(ar);
    return rc;
}

sf_inv_source *an_find(an_walk *w, const char *name, const char *path)
{
    for (size_t i = 0; i < w->n; i++)
        if (strcmp(w->srcs[i].analyzer, name) == 0 && (!path || strcmp(w->srcs[i].path, path) == 0))
            return &w->srcs[i];
    return NULL;
}

const sf_pkg *an_pkg(const sf_inv_source *src, const char *name)
{
    for (size_t i = 0; src && i < src->npkgs; i++)
        if (strcmp(src->pkgs[i].name, name) == 0)
            return &src->pkgs[i];
    return NULL;
}

int an_streq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

void an_expect_wants(const sf_analyzer *a, const an_want *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        sf_entry e = {cases[i].path, 1000, 0100644};
        if (a->wants(&e) != cases[i].want)
            fail_msg("%s: %s: wants %d", a->name, cases[i].path, !cases[i].want);
    }
}

void an_expect_bad(const sf_analyzer *a, const char *path, const char *const *bad,
                                 const size_t *lens, int code, const char *has)
{
    for (size_t i = 0; bad[i]; i++) {
        sf_inv_source src;
        sf_error err = SF_ERROR_INIT;
        size_t len = lens ? lens[i] : strlen(bad[i]);
        int rc = an_run(a, path, 0100644, bad[i], len, &src, &err);
        if (rc != code)
            fail_msg("%s: bad input %zu: %d, want %d (%s)", a->name, i, rc, code, err.msg);
        if (has) {
            assert_true(err.msg[0] != '\0');
            assert_non_null(strstr(err.msg, has));
        }
        sf_inv_source_clear(&src);
    }
}

void an_expect_cuts_fail(const sf_analyzer *a, const char *path, const char *text, int code,
                                       const char *has)
{
    for (size_t cut = 0; cut < strlen(text); cut++) {
        sf_inv_source src;
        sf_error err = SF_ERROR_INIT;
        int rc = an_run(a, path, 0100644, text, cut, &src, &err);
        if (rc != code)
            fail_msg("%s: cut at %zu: %d, want %d (%s)", a->name, cut, rc, code, err.msg);
        if (has) {
            assert_true(err.msg[0] != '\0');
            assert_non_null(strstr(err.msg, has));
        }
        sf_inv_source_clear(&src);
    }
}

void an_db_open(an_db *d, const char *const *docs, const char *corpus_rel)
{
    sf_vdb_builder *b = NULL;
    sf_error err = SF_ERROR_INIT;
    size_t len = 0;
    memset(d, 0, sizeof *d);
    assert_int_equal(sf_vdb_builder_new(&b), SF_OK);
    for (; docs && *docs; docs++)
        assert_int_equal(sf_vdb_import_buf(b, "test.json", *docs, strlen(*docs), &err), SF_OK);
    if (corpus_rel)
        assert_int_equal(sf_vdb_import_path(b, sf_t_corpus(corpus_rel), &err), SF_OK);
    assert_int_equal(sf_vdb_builder_serialize(b, &d->data, &len, &err), SF_OK);
    sf_vdb_builder_free(b);
    assert_int_equal(sf_vdb_open_mem(&d->db, d->data, len, &err), SF_OK);
}

void an_db_close(an_db *d)
{
    sf_vdb_close(d->db);
    free(d->data);
    memset(d, 0, sizeof *d);
}

void an_db_match(const an_db *d, const sf_inv_source *src, sf_findings *f)
{
    sf_error err = SF_ERROR_INIT;
    sf_findings_init(f);
    assert_int_equal(sf_match_packages(d->db, NULL, src->pkgs, src->npkgs, f, &err), SF_OK);
}

void an_db_match_text(const an_db *d, const sf_analyzer *a, const char *path, const char *text,
                                    sf_findings *f)
{
    sf_inv_source src;
    sf_error err = SF_ERROR_INIT;
    assert_int_equal(an_run(a, path, 0100644, text, strlen(text), &src, &err), SF_OK);
    an_db_match(d, &src, f);
    sf_inv_source_clear(&src);
}
