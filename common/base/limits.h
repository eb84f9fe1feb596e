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

/* Kafka message: result documents can be large (thousands of packages);
 * the local broker and producer are configured for 16 MiB. */
#define SF_LIM_MESSAGE_BYTES (16ULL << 20)

/* A layer inventory's JSON (cache values): SF_LIM_PACKAGES packages of a
 * few hundred bytes each stay below this; anything bigger is corrupt. */
#define SF_LIM_INVENTORY_BYTES (256ULL << 20)

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

/* Jobs a worker holds at once per scan thread (running + queued +
 * awaiting delivery reports). A queued job costs ~2 KiB (its message and
 * decoded refs) until it runs, so a deep queue is cheap, and it must be
 * deep: a warm job takes ~1 ms of CPU but its result's acknowledgement a
 * Kafka round trip, and a shallow queue left the threads idle between
 * fetches (2 x concurrency capped a worker near 16 jobs/s). */
#define SF_LIM_WORKER_IN_FLIGHT_PER_THREAD 64
/* ... and in all: 4096 queued jobs are ~8 MiB. */
#define SF_LIM_WORKER_IN_FLIGHT 4096

#endif
