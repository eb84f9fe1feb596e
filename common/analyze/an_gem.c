/*
 * an_gem: installed Ruby gems from their specifications, the Ruby source
 * files RubyGems writes for every installed gem:
 *
 *   .../gems/<rubyver>/specifications/<name>-<version>.gemspec
 *   .../gems/<rubyver>/specifications/default/<name>-<version>.gemspec
 *        (default gems shipped with Ruby itself)
 *   usr/share/rubygems-integration/<all|rubyver>/specifications/<name>-<version>.gemspec
 *        (Debian's ruby-* packages)
 *   vendor/bundle/ruby/<rubyver>/specifications/<name>-<version>.gemspec (bundler)
 *
 * i.e. any "*.gemspec" whose folder is "specifications" or
 * "specifications/default". A project's own gemspec elsewhere (source
 * trees) is not an installed gem and is not read.
 *
 * Nothing is executed: the text is scanned for the assignments RubyGems
 * generates inside "Gem::Specification.new do |s| ... end":
 *
 *   s.name = "rake".freeze           (older: s.name = %q{rake})
 *   s.version = "13.0.6"
 *   s.licenses = ["MIT".freeze]      (or s.license = "MIT")
 *
 * where "s" is the block variable (any identifier when the block line is
 * not found). Values must be string literals ("..", '..', %q{..} and the
 * %q/%Q/% forms with (), [], <>, {}), optionally followed by ".freeze";
 * interpolation and escapes are refused. When name or version is not a
 * literal, the "# stub: <name> <version> <platform> <paths>" header
 * RubyGems writes on the second line is used instead. Otherwise the file
 * is an error on its source.
 *
 * Reported: one SF_PT_GEM package (ecosystem RubyGems) per file, name and
 * version as written; licenses joined with ", ".
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/an_util.h"
#include "base/buf.h"
#include "base/limits.h"

static int gem_wants(const sf_entry *e)
{
    if (!sf_an_is_regular(e) || !sf_an_has_suffix(e->path, ".gemspec"))
        return 0;
    const char *base = sf_an_basename(e->path);
    if (base == e->path || strlen(base) <= 8)
        return 0;
    size_t dlen = (size_t)(base - 1 - e->path); /* folder, without its '/' */
    static const char spec[] = "specifications", def[] = "specifications/default";
    for (int i = 0; i < 2; i++) {
        const char *want = i ? def : spec;
        size_t wl = strlen(want);
        if (dlen >= wl && memcmp(base - 1 - wl, want, wl) == 0 && (dlen == wl || *(base - 2 - wl) == '/'))
            return 1;
    }
    return 0;
}

/* Closing delimiter of a %q opener, or 0. */
static char closer(char open)
{
    switch (open) {
    case '{': return '}';
    case '(': return ')';
    case '[': return ']';
    case '<': return '>';
    default: return 0;
    }
}

/*
 * A Ruby string literal at the start of s[0..n): SF_OK with the value
 * borrowed in v and vlen, and the bytes consumed in used; or SF_EPARSE (not a
 * literal, or one with escapes / interpolation, which no gem name,
 * version or license needs).
 */
static int ruby_str(const char *s, size_t n, const char **v, size_t *vlen, size_t *used)
{
    size_t i = 0;
    char close;
    if (n >= 2 && (s[0] == '"' || s[0] == '\'')) {
        close = s[0];
        i = 1;
    } else if (n >= 3 && s[0] == '%' && (s[1] == 'q' || s[1] == 'Q') && closer(s[2])) {
        close = closer(s[2]);
        i = 3;
    } else if (n >= 2 && s[0] == '%' && closer(s[1])) {
        close = closer(s[1]);
        i = 2;
    } else {
        return SF_EPARSE;
    }
    for (size_t k = i; k < n; k++) {
        if (s[k] == '\\' || (s[k] == '#' && k + 1 < n && s[k + 1] == '{'))
            return SF_EPARSE;
        if (s[k] == close) {
            *v = s + i;
            *vlen = k - i;
            *used = k + 1;
            return SF_OK;
        }
    }
    return SF_EPARSE;
}

/* What one file yielded so far (all borrowed from the text). */
typedef struct gemspec {
    const char *var; /* block variable, NULL until seen */
    size_t varlen;
    const char *name, *ver, *stub_name, *stub_ver, *lic[8];
    size_t nlen, vlen, snlen, svlen, liclen[8], nlic;
} gemspec;

/* "Gem::Specification.new do |s|" (or "{ |s|"): remember "s". */
static void block_var(gemspec *g, const char *l, size_t n)
{
    const char *p = memmem(l, n, "Gem::Specification.new", 22);
    const char *bar = p ? memchr(p, '|', (size_t)(l + n - p)) : NULL;
    if (!bar || g->var)
        return;
    const char *s = bar + 1, *end = l + n, *e;
    while (s < end && *s == ' ')
        s++;
    for (e = s; e < end && (isalnum((unsigned char)*e) || *e == '_'); e++)
        ;
    if (e > s && e < end && (*e == '|' || *e == ' ')) {
        g->var = s;
        g->varlen = (size_t)(e - s);
    }
}

/* "# stub: name version platform paths". */
static void stub_line(gemspec *g, const char *l, size_t n)
{
    if (n < 8 || memcmp(l, "# stub: ", 8) != 0 || g->stub_name)
        return;
    const char *s = l + 8, *end = l + n, *sp = memchr(s, ' ', (size_t)(end - s));
    if (!sp || sp == s)
        return;
    const char *v = sp + 1, *vend = memchr(v, ' ', (size_t)(end - v));
    vend = vend ? vend : end;
    if (vend == v)
        return;
    g->stub_name = s, g->snlen = (size_t)(sp - s);
    g->stub_ver = v, g->svlen = (size_t)(vend - v);
}

/* If l is "<var>.<attr> = <rest>", return rest (and its length), else NULL. */
static const char *assignment(const gemspec *g, const char *l, size_t n, const char *attr,
                              size_t *rlen)
{
    size_t vl;
    if (g->var) {
        vl = g->varlen;
        if (n <= vl || memcmp(l, g->var, vl) != 0)
            return NULL;
    } else {
        for (vl = 0; vl < n && (isalnum((unsigned char)l[vl]) || l[vl] == '_'); vl++)
            ;
        if (vl == 0)
            return NULL;
    }
    size_t al = strlen(attr);
    if (n < vl + 1 + al || l[vl] != '.' || memcmp(l + vl + 1, attr, al) != 0)
        return NULL;
    const char *r = l + vl + 1 + al;
    size_t rl = n - vl - 1 - al;
    sf_an_trim(&r, &rl);
    if (rl < 2 || r[0] != '=' || r[1] == '=')
        return NULL;
    r++, rl--;
    sf_an_trim(&r, &rl);
    *rlen = rl;
    return r;
}

static void lic_list(gemspec *g, const char *r, size_t rl)
{
    size_t i = 0, used, vl;
    const char *v;
    if (rl && r[0] == '[')
        i = 1;
    while (i < rl && g->nlic < sizeof g->lic / sizeof g->lic[0]) {
        while (i < rl && (r[i] == ' ' || r[i] == ','))
            i++;
        if (ruby_str(r + i, rl - i, &v, &vl, &used) != SF_OK)
            return;
        g->lic[g->nlic] = v;
        g->liclen[g->nlic++] = vl;
        i += used;
        if (rl - i >= 7 && memcmp(r + i, ".freeze", 7) == 0)
            i += 7;
    }
}

static void spec_line(gemspec *g, const char *l, size_t n)
{
    size_t rl, used;
    const char *r;
    block_var(g, l, n);
    if ((r = assignment(g, l, n, "name", &rl))) {
        if (!g->name && ruby_str(r, rl, &g->name, &g->nlen, &used) != SF_OK)
            g->name = NULL;
    } else if ((r = assignment(g, l, n, "version", &rl))) {
        if (!g->ver && ruby_str(r, rl, &g->ver, &g->vlen, &used) != SF_OK)
            g->ver = NULL;
    } else if ((r = assignment(g, l, n, "licenses", &rl)) || (r = assignment(g, l, n, "license", &rl))) {
        if (!g->nlic)
            lic_list(g, r, rl);
    }
}

/* Licenses joined with ", " into p->license (an unusable one is dropped). */
static int set_license(const gemspec *g, sf_pkg *p)
{
    char buf[SF_AN_FIELD_MAX + 1];
    size_t o = 0;
    for (size_t i = 0; i < g->nlic; i++) {
        if (o + g->liclen[i] + 2 > SF_AN_FIELD_MAX)
            break;
        if (i)
            memcpy(buf + o, ", ", 2), o += 2;
        memcpy(buf + o, g->lic[i], g->liclen[i]);
        o += g->liclen[i];
    }
    int rc = o ? sf_an_dup_field(&p->license, buf, o) : SF_OK;
    return rc == SF_ENOMEM ? rc : SF_OK;
}

static int gem_parse(const sf_entry *e, const uint8_t *data, size_t len, sf_inv_source *src,
                     sf_error *err)
{
    sf_an_lines r;
    const char *line;
    size_t n;
    gemspec g;
    sf_pkg p;
    memset(&g, 0, sizeof g);
    if (len > SF_LIM_META_FILE_BYTES)
        return sf_error_set(err, SF_ELIMIT, "%s: %zu bytes is too big for a gemspec", e->path, len);
    sf_an_lines_init(&r, data, len);
    while (sf_an_lines_next(&r, &line, &n)) {
        sf_an_trim(&line, &n);
        if (n && line[0] == '#')
            stub_line(&g, line, n);
        else if (n)
            spec_line(&g, line, n);
    }
    if (!g.name || !g.ver) { /* not literals: the stub header RubyGems writes */
        g.name = g.stub_name, g.nlen = g.snlen;
        g.ver = g.stub_ver, g.vlen = g.svlen;
    }
    int rc = sf_an_named_pkg(&p, SF_PT_GEM, g.name, g.name ? g.nlen : 0, g.ver,
                             g.ver ? g.vlen : 0);
    if (rc == SF_OK)
        rc = set_license(&g, &p);
    if (rc != SF_OK && rc != SF_ENOMEM)
        rc = sf_error_set(err, SF_EPARSE, "%s: no literal gem name and version", e->path);
    return sf_an_take_single(src, rc, &p, err);
}

const sf_analyzer sf_an_gem = {
    .name = "gem",
    .version = 1,
    .max_bytes = SF_LIM_META_FILE_BYTES, /* generated gemspecs are 1-10 KiB */
    .wants = gem_wants,
    .sniff = NULL,
    .parse = gem_parse,
};
