// The shapes of scanfarm-api's answers (aggregator/api/openapi.json).

export type Severity = "CRITICAL" | "HIGH" | "MEDIUM" | "LOW" | "UNKNOWN";
export const SEVERITIES: Severity[] = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"];
export type SeverityCounts = Record<Severity, number>;

export interface Counts {
  images: number; vulnerable: number; errors: number; findings: number; fixable: number;
  severity: SeverityCounts;
}
export interface Links { nvd?: string; ghsa?: string; osv?: string; tracker?: string }
export interface Page<T> { items: T[]; total: number; next_cursor: string | null }

export interface ImageSummary {
  digest: string; index_digest?: string | null; refs: string[]; platform: string | null;
  os: string | null; run_id: string; scanned_at: number | null; error: string | null;
  findings: number; fixable: number; severity: SeverityCounts; cvss_max: number | null;
  running?: boolean;
}
export interface Layer { digest: string; size?: number | null; cache?: string | null; error?: string | null }
export interface RunningContainer {
  cluster: string; namespace: string; pod: string; container: string; node?: string | null;
  owner_kind?: string | null; owner_name?: string | null; since?: number | null;
}
export interface ImageDetail extends ImageSummary {
  db_version: string; platforms: { digest: string; platform: string | null }[]; layers: Layer[];
  running_where?: RunningContainer[]; packages?: number;
}
export interface Finding {
  id: string; aliases?: string[]; package: string; ecosystem: string | null; installed: string | null;
  fixed: string | null; severity: Severity; cvss: number | null; kev?: boolean; epss?: number | null;
  epss_percentile?: number | null; layer?: string | null; links?: Links;
}
export interface VulnSummary {
  id: string; aliases?: string[]; images: number; severity: Severity; cvss: number | null; kev: boolean;
  epss: number | null; fixable: boolean; first_seen?: number | null; links?: Links;
}
export interface VulnDetail extends VulnSummary {
  packages: { ecosystem: string | null; name: string; installed: string | null; fixed: string | null; images: number }[];
  fixed_versions: string[];
}
export interface PackageSummary { ecosystem: string; name: string; images: number; versions: number; vulnerable: boolean }
export interface PackageDetail extends PackageSummary { version_list: { version: string; images: number }[] }
export interface Registry { registry: string; counts: Counts }
export interface Repository { registry: string; repository: string; counts: Counts }
export interface HistoryPoint { run_id: string; started_at: number; counts: Counts; new: number; resolved: number }
export interface History { scope: string; points: HistoryPoint[] }
export interface Summary { counts: Counts; latest_run: string | null; api_version: string; running_known?: boolean }
