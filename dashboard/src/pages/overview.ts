import { get } from "../api";
import { dayChart } from "../chart";
import { el, empty, figure, money, ms, percent, section, table } from "../ui";

interface Window {
  requests: number;
  errors: number;
  error_rate: number;
  spend: number;
  baseline_spend: number;
  savings: number;
}

interface Overview {
  now: string;
  today: Window;
  month: Window;
  projected_monthly_spend: number;
  latency_today: { count: number; p50_ms: number; p95_ms: number; p99_ms: number } | null;
  traffic: { days: string[]; deployments: { name: string; requests: number[] }[] };
  warnings: { kind: string; subject: string; message: string }[];
}

export async function overview(): Promise<HTMLElement[]> {
  const o = await get<Overview>("/dashboard/api/overview");
  const totals = o.traffic.deployments.map((d) => ({ name: d.name, requests: d.requests.reduce((a, b) => a + b, 0) }));
  const all = totals.reduce((a, t) => a + t.requests, 0);
  return [
    el(
      "div",
      { class: "figures" },
      figure("today-requests", "Requests today", o.today.requests.toLocaleString("en"), o.today.requests),
      figure("today-spend", "Spend today", money(o.today.spend), o.today.spend),
      figure("month-spend", "Spend this month", money(o.month.spend), o.month.spend),
      figure("month-savings", "Saved this month vs baseline", money(o.month.savings), o.month.savings),
      figure("today-error-rate", "Error rate today", percent(o.today.error_rate), o.today.error_rate),
      figure("today-p95", "p95 latency today", ms(o.latency_today?.p95_ms), o.latency_today?.p95_ms ?? ""),
    ),
    section(
      "Warnings",
      o.warnings.length === 0
        ? empty("No warnings: breakers closed, no retirement within 90 days, no held migration, no dropped record.")
        : el("ul", { class: "warnings" }, ...o.warnings.map((w) => el("li", { "data-warning": w.kind }, el("strong", {}, w.subject), " — ", w.message))),
    ),
    section(
      "Traffic share per deployment (last 14 days)",
      all === 0 ? empty("No traffic in the last 14 days.") : dayChart("traffic-share", o.traffic.days, o.traffic.deployments.map((d) => ({ name: d.name, values: d.requests })), "share", true),
      table(
        "traffic",
        [
          { title: "Deployment", cell: (t) => t.name },
          { title: "Requests (14 days)", cell: (t) => t.requests, key: "requests", numeric: true },
          { title: "Share", cell: (t) => percent(all === 0 ? 0 : t.requests / all), numeric: true },
        ],
        totals,
        (t) => t.name,
      ),
    ),
  ];
}
