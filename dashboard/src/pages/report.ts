import { get } from "../api";
import { el, empty, figure, ms, percent, section, table } from "../ui";

// The migration success report of a route (`tandem report migration ROUTE`, GET /admin/reports/migration/{route}):
// before (incumbent) and after (candidate), quality, and time in each stage, with the HTML and JSON to download.

interface Side {
  deployment: string;
  requests: number;
  errors: number;
  cost: number;
  p95_ms: number | null;
  cost_per_thousand: number | null;
  error_rate: number | null;
  traffic_share: number;
}

export interface MigrationReport {
  route: string;
  stage: string;
  from: string;
  to: string;
  before: Side;
  after: Side;
  cost_per_thousand_change: number | null;
  agreement: number | null;
  judge_score: number | null;
  stages: { stage: string; entered: string; hours: number; trigger: string }[];
}

const when = (t: string): string => t.replace("T", " ").slice(0, 16);
const perThousand = (v: number | null): string => (v === null ? "—" : "$" + v.toFixed(4));
const rate = (v: number | null): string => (v === null ? "—" : percent(v));

export async function report(params: URLSearchParams, choose: (route: string) => void): Promise<HTMLElement[]> {
  const { migrations } = await get<{ migrations: { route: string }[] }>("/admin/migrations");
  if (migrations.length === 0) return [empty("No route has a migration.")];
  const routes = migrations.map((m) => m.route);
  const route = routes.includes(params.get("route") ?? "") ? params.get("route")! : routes[0];
  const picker = el("select", { name: "route", "aria-label": "Route" }, ...routes.map((r) => el("option", { value: r, selected: r === route }, r)));
  picker.addEventListener("change", () => choose(picker.value));

  const path = `/admin/reports/migration/${encodeURIComponent(route)}`;
  const r = await get<MigrationReport>(path);
  const rows: { id: string; label: string; cell: (s: Side) => string }[] = [
    { id: "deployment", label: "Deployment", cell: (s) => s.deployment },
    { id: "requests", label: "Requests", cell: (s) => s.requests.toLocaleString("en") },
    { id: "share", label: "Traffic share", cell: (s) => percent(s.traffic_share) },
    { id: "cost_per_1000", label: "Cost per 1,000 requests", cell: (s) => perThousand(s.cost_per_thousand) },
    { id: "error_rate", label: "Error rate", cell: (s) => rate(s.error_rate) },
    { id: "p95", label: "p95 latency (deployment)", cell: (s) => ms(s.p95_ms) },
  ];
  const change = r.cost_per_thousand_change;
  return [
    el(
      "div",
      { class: "filters" },
      el("label", {}, "Route", picker),
      el("a", { href: path + "?format=html", download: `${r.route}-migration.html`, "data-download": "html" }, "Download HTML"),
      el("a", { href: path, download: `${r.route}-migration.json`, "data-download": "json" }, "Download JSON"),
    ),
    el("p", {}, "Stage now: ", el("strong", { "data-report-stage": r.route }, r.stage), ` · window ${when(r.from)} to ${when(r.to)} UTC`),
    el(
      "div",
      { class: "figures" },
      figure("report-change", "Cost per 1,000 requests, after − before", change === null ? "—" : (change < 0 ? "−$" : "+$") + Math.abs(change).toFixed(4), change ?? ""),
      figure("report-agreement", "Shadow agreement (latest gate evaluation)", rate(r.agreement), r.agreement ?? ""),
      figure("report-judge", "Judge score (latest gate evaluation)", r.judge_score === null ? "—" : r.judge_score.toFixed(2), r.judge_score ?? ""),
      figure("report-after-share", "Candidate's traffic share", percent(r.after.traffic_share), r.after.traffic_share),
    ),
    section(
      "Before and after",
      table(
        "report-sides",
        [
          { title: "", cell: (row) => row.label },
          { title: "Before (incumbent)", cell: (row) => row.cell(r.before), key: "before", numeric: true },
          { title: "After (candidate)", cell: (row) => row.cell(r.after), key: "after", numeric: true },
        ],
        rows,
        (row) => row.id,
      ),
    ),
    section(
      "Time in each stage",
      r.stages.length === 0
        ? empty("No stage change recorded in the window.")
        : table(
            "report-stages",
            [
              { title: "Stage", cell: (s) => s.stage, key: "stage" },
              { title: "Entered (UTC)", cell: (s) => when(s.entered) },
              { title: "Hours", cell: (s) => s.hours.toFixed(2), key: "hours", numeric: true },
              { title: "By", cell: (s) => s.trigger, key: "trigger" },
            ],
            r.stages,
          ),
    ),
  ];
}
