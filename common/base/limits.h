/*
 * limits: every hard limit of scanfarm in one place, each with the reason
 * for its number. Config may lower (never raise past these) the per-layer
 * and per-file limits; everything that reads untrusted input is bounded by
 * one of these.
 */
#ifndef SF_LIMITS_H
#define SF_LIMITS_H

/* Decompressed bytes in one layer. The largest real layers (CUDA, ML
 * frameworks) reach ~10 GiB; past 32 GiB it is a bomb, not an image. */
#define SF_LIM_LAYER_BYTES (32ULL << 30)

/* Tar entries in one layer. Big distro layers hold ~200k files; 2M leaves
 * room and still stops a "10^7 empty entries" attack in seconds. */
#define SF_LIM_LAYER_ENTRIES 2000000ULL

/* Decompressed/compressed ratio. Real layers compress 2-10x; sparse files
 * and zero-filled images reach ~100x. 1000x is only a bomb. Checked once
 * 64 MiB have been decompressed so tiny layers are not penalised. */
#define SF_LIM_RATIO 1000ULL
#define SF_LIM_RATIO_MIN_BYTES (64ULL << 20)

/* One file an analyzer wants (dpkg status of a full distro ~2-4 MiB, a big
 * rpmdb.sqlite ~60 MiB, a fat jar ~100 MiB). */
#define SF_LIM_FILE_BYTES (128ULL << 20)

/* Package metadata files (package.json, METADATA, os-release): anything
 * above 8 MiB is not metadata. */
#define SF_LIM_META_FILE_BYTES (8ULL << 20)

/* Files kept by analyzers per layer (node_modules trees reach ~50k). */
#define SF_LIM_WANTED_FILES 200000ULL

/* Packages in one layer inventory. */
#define SF_LIM_PACKAGES 500000ULL

/* Packages kept from one layer (issue 12, item 9). Each package costs
 * ~0.3 KiB as structs and ~2 KiB while its result and cache JSON are
 * built, so 20,000 keep one layer's scan well under 128 MiB of RSS; the
 * largest real layers (full distro images, big node_modules trees) list a
 * few thousand. Past it the source keeps the first ones and says so. */
#define SF_LIM_INV_PACKAGES 20000ULL
/* ...and the bytes of their strings (name, version, source, arch, license),
 * so that long fields cannot buy what the count forbids: real packages
 * spend ~60 bytes, 20,000 of them ~1.2 MiB. */
#define SF_LIM_INV_PKG_BYTES (16ULL << 20)

/* Hard links (tar type '1') name an earlier entry of the same layer, whose
 * bytes are gone by then. The walker keeps copies of files a link could
 * make matter (package databases, OS release files): each at most
 * SF_LIM_LINK_FILE_BYTES, together SF_LIM_LINK_KEEP_BYTES (oldest
 * dropped first), at most SF_LIM_LINK_FILES of them. Real apk and dpkg
 * databases are 0.1-3 MiB. */
#define SF_LIM_LINK_FILE_BYTES (8ULL << 20)
#define SF_LIM_LINK_KEEP_BYTES (16ULL << 20)
#define SF_LIM_LINK_FILES 64

/* Path length inside a layer; PATH_MAX on Linux. */
#define SF_LIM_PATH 4096

/* Manifests, indexes, configs and registry JSON responses: the registry
 * spec recommends 4 MiB for manifests. */
#define SF_LIM_MANIFEST_BYTES (4ULL << 20)

/* Layers in one image (Docker limits to 127; OCI allows more). */
#define SF_LIM_IMAGE_LAYERS 512

/* Platform manifests in one index. */
#define SF_LIM_INDEX_MANIFESTS 256

/* Nesting of jars inside jars. */
#define SF_LIM_JAR_DEPTH 4

/* Entries walked in one jar/war/ear (nested ones count separately): the
 * biggest fat jars hold ~100k classes; past 500k it is a zip bomb. */
#define SF_LIM_JAR_ENTRIES 500000ULL

/* One nested jar read into memory to look inside it: libraries are
 * < 20 MiB (the largest, e.g. ML runtimes, ~60 MiB); with SF_LIM_JAR_DEPTH
 * levels this bounds a jar's peak memory to depth x this. */
#define SF_LIM_JAR_INNER_BYTES (64ULL << 20)

/* How long the aggregator keeps refs that arrived before their image's
 * result (coordinator publishing while it crawls). A digest whose job never
 * yields a result (sent to the DLQ, image deleted) would keep its entry for
 * ever; after a week the next daily rescan has published fresh refs. */
#define SF_LIM_AGG_PENDING_TTL_MS (7LL * 24 * 3600 * 1000)
/* Expired pending entries dropped per new one: bounded work per call. */
#define SF_LIM_AGG_PENDING_SWEEP 16

/* Decompressed bytes of all nested jars of one top-level archive: a big
 * Spring Boot jar or war carries ~300 MiB of libraries. */
#define SF_LIM_JAR_TOTAL_BYTES (1ULL << 30)

/* One kept package field (name, version, arch, license, source): real
 * ones are < 300 bytes (long SPDX expressions); past this it is garbage. */
#define SF_LIM_PKG_FIELD 1024

/* One os-release value: PRETTY_NAME is < 100 bytes in practice. */
#define SF_LIM_OS_VALUE 256

/* rpm header: index entries (rpm itself refuses more than 0xffff) and data
 * store bytes (rpm's own headerMaxbytes is 256 MiB). */
#define SF_LIM_RPM_TAGS 0xffffU
#define SF_LIM_RPM_DATA (256U << 20)

/* SQLite work on one rpmdb.sqlite, in progress-handler ticks of 1000 VM
 * ops: a real 2000-package DB needs ~1e6 ops; 2e8 is minutes of CPU. */
#define SF_LIM_RPM_SQL_TICKS 200000U

/* Go build info: the version string (< 64 bytes real) and the module
 * info (~100 KiB for the biggest binaries, e.g. kubelet). */
#define SF_LIM_GO_VERSION 256U
#define SF_LIM_GO_MODINFO (4U << 20)

/* cargo-auditable's .dep-v0 section: zlib-compressed JSON of the crate
 * graph, ~100 bytes per crate before compression, so a binary with 1000
 * crates holds ~30 KiB compressed / ~100 KiB of JSON. The decompressed cap
 * is the one cargo-auditable's own reader (auditable-info) defaults to. */
#define SF_LIM_RUST_AUDIT_BYTES (4U << 20)
#define SF_LIM_RUST_AUDIT_JSON (8U << 20)

/* pom.properties / MANIFEST.MF inside a jar: < 10 KiB; a manifest listing
 * every class digest reaches ~1 MiB. */
#define SF_LIM_JAR_META_BYTES (2U << 20)

/* JSON nesting depth accepted from untrusted input. */
#define SF_LIM_JSON_DEPTH 64

/* Pages of one catalog or tags walk. At the default n=1000 that is 10^8
 * names; a registry serving more is feeding an endless list. */
#define SF_LIM_LIST_PAGES 100000L

/* Repository names in one registry's catalog. The largest public
 * registries hold a few million; 10^7 leaves room and still stops an
 * endless catalog whose every page has a new `last`. */
#define SF_LIM_CATALOG_ENTRIES 10000000L

/* Kafka message: result documents can be large (thousands of packages);
 * the local broker and producer are configured for 16 MiB. */
#define SF_LIM_MESSAGE_BYTES (16ULL << 20)

/* Bytes of a job quoted in its DLQ entry: a job is a few KiB (its refs);
 * whatever poison arrived is kept for diagnosis, but base64 (4/3) of a
 * full message must still fit the message cap. */
#define SF_LIM_DLQ_JOB_BYTES (1ULL << 20)

/* A layer inventory's JSON (cache values): SF_LIM_INV_PACKAGES packages
 * of a few hundred bytes each, plus whiteouts, stay well below this;
 * anything bigger is corrupt (and would cost more memory than a worker
 * may spend on one inventory). */
#define SF_LIM_INVENTORY_BYTES (64ULL << 20)

/* Farm secret of the cache MAC (cache/cmac.h): HMAC-SHA256 keys shorter
 * than 16 bytes are guessable offline from one cached value; a secret file
 * over 4 KiB is not a secret but a misnamed file. */
#define SF_LIM_CACHE_SECRET_MIN 16
#define SF_LIM_CACHE_SECRET_MAX 4096

/* One advisory document (an OSV record, a secdb release file, a Debian
 * tracker list). The DSA list is ~1 MiB, the largest OSV records (Linux
 * kernel, long version lists) a few MiB; 64 MiB is no advisory. */
#define SF_LIM_VDB_DOC_BYTES (64ULL << 20)

/* Entries in one advisory archive: OSV's all-ecosystem zip holds ~500k
 * records. */
#define SF_LIM_VDB_ARCHIVE_ENTRIES 2000000ULL

/* Decompressed bytes read from one advisory archive (the full OSV export
 * is ~5 GiB unpacked). */
#define SF_LIM_VDB_ARCHIVE_BYTES (16ULL << 30)

/* Directory depth walked when importing a tree of advisories. */
#define SF_LIM_VDB_DIR_DEPTH 16

/* Maven versions are parsed into a fixed tree (no allocation, bounded
 * recursion): real versions have under 20 items nested under 6 deep;
 * longer or deeper strings sort below every version (ver_maven.c). */
#define SF_LIM_VER_MAVEN_ITEMS 128
#define SF_LIM_VER_MAVEN_DEPTH 32

/* A CVSS vector: the longest legal v3.1 vector, every optional metric
 * included, is about 170 bytes. */
#define SF_LIM_CVSS_VECTOR 512

/* CVSS metrics listed on one finding: NVD gives a CVE at most a Primary
 * and a CNA's Secondary per version (8), the advisories a few more; a
 * finding's JSON stays small however many sources score it. */
#define SF_LIM_FINDING_CVSS 16

/* ---- scanfarm-inventory (Kubernetes API, common/kube/kube_*.c) ---- */
/* One pod object: real ones are 2-20 KiB (managedFields included); a
 * PodList page of 500 such pods stays under 16 MiB, the list cap. */
#define SF_LIM_KUBE_OBJECT_BYTES (1U << 20)
#define SF_LIM_KUBE_LIST_BYTES (64U << 20)
/* Containers of one pod, all three kinds together (the API server allows
 * far fewer in practice; this bounds a hostile object). */
#define SF_LIM_KUBE_CONTAINERS 256
/* Names, refs and imageIDs: a DNS-1123 name is <= 253 bytes, an image
 * ref with its digest well under 1 KiB. */
#define SF_LIM_KUBE_STR 1024
/* Pods one cluster's inventory tracks (each a few hundred bytes in Redis). */
#define SF_LIM_KUBE_PODS 1000000
/* Kubeconfig and service-account files (tokens, PEM bundles). */
#define SF_LIM_KUBE_FILE_BYTES (4U << 20)

/* User-given librdkafka properties of one program: librdkafka has about
 * 200 properties, so 256 settings hold every one of them at once. */
#define SF_LIM_KAFKA_PROPS 256

/* How long a secured Kafka client's start-up check waits for the brokers
 * to accept or refuse its credentials: a refusal comes within a TLS + SASL
 * round trip (well under a second here); past 10 s the brokers are taken
 * to be unreachable, not refusing, and the client starts as it would. */
#define SF_KCONF_PREFLIGHT_MS 10000

/* A secret read from a file (a password, an OAuth client secret, a cache
 * secret): real ones are under 1 KiB; 64 KiB refuses a wrong path (a log,
 * a binary) early instead of sending it to a broker. */
#define SF_LIM_SECRET_FILE_BYTES (64u << 10)

/* Suppression inputs of `scanfarm scan` (.scanfarmignore, --vex): a VEX
 * document for a large product holds a few thousand statements (~1 MiB);
 * 16 MiB and 100k rules are far past any real one. An ignore line is an
 * id, a purl, a date and a sentence. */
#define SF_LIM_VEX_BYTES (16ULL << 20)
#define SF_LIM_SUPP_RULES 100000
#define SF_LIM_IGNORE_LINE 4096

/* scanfarm-notify's rule file (aggregator/notify/notify_rules.c): a real policy
 * holds a handful of rules and sinks; 256 rules x 64 globs keeps matching
 * one finding against every rule well under a millisecond, and a 1 MiB
 * file is far beyond any hand-written policy. */
#define SF_LIM_NOTIFY_FILE_BYTES (1u << 20)
#define SF_LIM_NOTIFY_RULES 256
#define SF_LIM_NOTIFY_SINKS 64
#define SF_LIM_NOTIFY_GLOBS 64
#define SF_LIM_NOTIFY_SINKS_PER_RULE 16

/* Findings quoted in one notification: Slack allows 50 blocks per
 * message and a section's text up to 3000 characters; 20 findings stay
 * readable in chat, the rest are counted ("and 37 more"). The webhook
 * body carries up to 500 (an image with more is summarised the same way). */
#define SF_LIM_NOTIFY_CHAT_FINDINGS 20
#define SF_LIM_NOTIFY_HOOK_FINDINGS 500

/* A secret read from a file (token, webhook URL, HMAC key). */
#define SF_LIM_NOTIFY_SECRET_BYTES 4096
/* GitHub's primary rate limit resets within its one-hour window: a spent
 * limit (X-RateLimit-Remaining: 0) is waited out until X-RateLimit-Reset,
 * at most an hour, and such waits (at most 3 per request) do not count as
 * failed attempts. */
#define SF_LIM_NOTIFY_RATELIMIT_WAIT_MS (3600L * 1000)
#define SF_LIM_NOTIFY_RATELIMIT_WAITS 3
/* Digest grouping: a window is at most a day; one digest message carries
 * at most 200 per-image notifications (the rest stay queued for the next
 * message, sent right after), and its chat text names up to 20 images. */
#define SF_LIM_NOTIFY_DIGEST_MINUTES 1440
#define SF_LIM_NOTIFY_DIGEST_ITEMS 200
/* Hosts whose rate limit is spent (X-RateLimit-Remaining: 0) remembered
 * at once: a rule file names a handful of ticket and chat hosts. */
#define SF_LIM_NOTIFY_PAUSED_HOSTS 8

/* scanfarm-admission (coordinator/admission*.c). An AdmissionReview holds
 * the object and, on UPDATE, the old object: the API server caps one
 * object at ~1.5 MiB (etcd's request limit), so 4 MiB takes any real
 * review. Images of one review: a pod's containers of all three kinds
 * (SF_LIM_KUBE_CONTAINERS). Deny messages and warnings: the API server
 * truncates warnings past 256 characters, and a status message is shown
 * to a person in kubectl, so the worst 3 advisories per image are named. */
#define SF_LIM_ADM_BODY_BYTES (4U << 20)
#define SF_LIM_ADM_IMAGES SF_LIM_KUBE_CONTAINERS
#define SF_LIM_ADM_WARNING 256
#define SF_LIM_ADM_WARNINGS 16
#define SF_LIM_ADM_MESSAGE 2048
#define SF_LIM_ADM_WORST 3
/* Tag -> digest answers (and "scan already queued" marks) kept in memory:
 * a cluster runs a few thousand distinct images; direct-mapped slots. */
#define SF_LIM_ADM_CACHE_SLOTS 4096
/* Registries the gate resolves tags against (one client each). */
#define SF_LIM_ADM_REGISTRIES 32

/* Jobs a worker holds at once per scan thread (running + queued +
 * awaiting delivery reports). A queued job costs ~2 KiB (its message and
 * decoded refs) until it runs, so a deep queue is cheap, and it must be
 * deep: a warm job takes ~1 ms of CPU but its result's acknowledgement a
 * Kafka round trip, and a shallow queue left the threads idle between
 * fetches (2 x concurrency capped a worker near 16 jobs/s). */
#define SF_LIM_WORKER_IN_FLIGHT_PER_THREAD 64
/* ... and in all: 4096 queued jobs are ~8 MiB. */
#define SF_LIM_WORKER_IN_FLIGHT 4096

/* ---- limits that lived in their modules (issue 21: one place) ---- */

/* A cancellable sleep wakes this often to look at its flag: a shutdown is
 * noticed within 0.1 s, and 10 wake-ups a second cost nothing. */
#define SF_LIM_SLEEP_SLICE_MS 100

/* Longest host[:port] of an unref message (DNS names are at most 253
 * bytes, plus ":65535"). */
#define SF_LIM_UNREF_HOST 255
/* Longest string field or array entry of a job or refs message: a
 * registry/repository:tag reference is well under 1 KiB. */
#define SF_LIM_MSG_STR 4096
/* Longest root manifest a job carries (bus/msg_job.h "manifest"): an
 * image manifest or a small index is 0.5-10 KiB; past this the worker
 * fetches it, so jobs stay small (the topic holds millions of them). */
#define SF_LIM_JOB_MANIFEST 65536
/* Root manifests one enumeration holds at once, waiting in resolved
 * repositories and held jobs to ride in their jobs: a repository of a
 * million tags must not hold a million bodies. Past it jobs go without
 * (the worker fetches); 64 MiB is ~30k typical manifests. */
#define SF_LIM_ENUM_MANIFEST_BYTES (64LL << 20)

/* Invalid bytes rewritten per catalog/tags page before the page counts as
 * garbage: a catalog with a few bad names has a handful; thousands are an
 * attack (and each costs 5 bytes of rewritten text). */
#define SF_LIM_LIST_BAD_BYTES 4096
/* Explicitly allowed address ranges one worker may configure. */
#define SF_LIM_NETPOL_RANGES 64
/* Redirects followed per registry request: a CDN hop or two is normal;
 * more is a loop. */
#define SF_LIM_HTTP_REDIRECTS 5
/* libcurl (< 8.6) fails a response whose header line passes 100 KiB
 * (CURL_MAX_HTTP_HEADER) with "Out of memory". */
#define SF_LIM_HTTP_CURL_HEADER_KIB 100
/* Cached tokens per registry: enough for the repositories being worked on
 * concurrently with room to spare; older scopes are simply refetched. */
#define SF_LIM_AUTH_CACHE 256
/* Token responses are a few KiB (JWTs); 1 MiB is not a token. */
#define SF_LIM_AUTH_TOKEN_BODY (1u << 20)
/* Routes of the embedded HTTP server (metrics, health, events): a handful. */
#define SF_LIM_HTTPD_ROUTES 16
/* A Go toolchain version ("go1.21.13", "go1.22rc2"): 48 bytes is generous. */
#define SF_LIM_GO_TOOLCHAIN 48
/* Member sizes remembered while a docker-archive is searched for its
 * manifest.json: an image has tens of members, 4096 is a hostile one. */
#define SF_LIM_ARCHIVE_SIZES 4096
/* Entry headers walked in one archive read through base/arch when its
 * caller sets no count of its own (docker-archive images): a `docker save`
 * holds a few members per layer; a million is a hostile file, and the
 * bound stops a walk over endless empty headers. */
#define SF_LIM_ARCH_ENTRIES 1000000ULL

/* ---- HTTP listener of push events and admission reviews
 * (coordinator/events_http) ---- */
/* Request head: webhook senders send ~500 bytes; 16 KiB fits any. */
#define SF_EVH_HEAD_MAX 16384
/* Time a client gets to send its whole request. */
#define SF_EVH_READ_TIMEOUT_MS 10000
/* Connections served at once (each holds a thread and its body). */
#define SF_EVH_MAX_CONNS 64
/* How often the TLS certificate and key files are looked at (stat) for a
 * renewal: a new pair serves the next connection within a second. */
#define SF_EVH_TLS_CHECK_MS 1000

/* Entries of scanfarm-inventory's owner and digest caches before they
 * are dropped (they refill from the API; bounded memory on a cluster
 * with churn). */
#define SF_LIM_KINV_CACHE 200000
/* Registry clients a worker keeps at once. A worker talks to a handful of
 * registries; 64 idle clients (connection caches, token caches) are a few
 * MB. Past it the least recently used idle one is dropped. */
#define SF_LIM_WORKER_REGISTRIES 64
/* Default allow-list entries (config lists hold at most 64 each). */
#define SF_LIM_WORKER_PATTERNS 256
/* Values a worker list option may hold (Redis nodes, registries,
 * platforms). */
#define SF_LIM_WORKER_LIST 64

/* Options (base/opt.h): a config file is small (the largest real one, a
 * coordinator's with a few hundred registries, is ~100 KiB); 4 MiB is far
 * past any. A list option (registries, platforms, globs) holds at most
 * 100k entries. A config key or flag name is at most 64 bytes. */
#define SF_LIM_OPT_FILE_BYTES (4u << 20)
#define SF_LIM_OPT_LIST 100000
#define SF_LIM_OPT_NAME 64

/* ---- Redis client (cache/kv, kvconn, kvslot) ---- */
/* Bytes read for one Redis reply: the largest value scanfarm stores is a
 * layer inventory under the cache's value cap (tens of MiB); a server
 * that streams more is broken or hostile. */
#define SF_KV_REPLY_BYTES_MAX (256 << 20)
/* Elements of one reply array: the largest scanfarm reads are fleet-view
 * sets (SMEMBERS of a CVE's images); 4 Mi members is far past any fleet,
 * and bounds the element table hiredis allocates from a header (32 MiB). */
#define SF_KV_REPLY_ELEMS_MAX (4 << 20)
/* Redirections (MOVED/ASK) followed for one command: a resharding moves a
 * slot once; more hops mean a map that keeps changing under us. */
#define SF_KV_REDIRECTS_MAX 5
/* Total wait of one command for a cluster to recover (TRYAGAIN,
 * CLUSTERDOWN, a dead master before its replica is promoted): a failover
 * with cluster-node-timeout 5 s completes in ~6-8 s; past this a caller
 * scans uncached instead of stalling. */
#define SF_KV_CLUSTER_WAIT_MS 10000
/* Nodes described by one CLUSTER SLOTS reply (masters + replicas). */
#define SF_KV_CLUSTER_NODES_MAX 64

#endif
