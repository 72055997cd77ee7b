import { get } from "../api";
import { dayChart } from "../chart";
import { el, empty, figure, money, percent, section, table } from "../ui";

export interface CostGroup {
  name: string;
  requests: number;
  traffic_share: number;
  errors: number;
  prompt_tokens: number;
  completion_tokens: number;
  spend: number;
  baseline_spend: number;
  savings: number;
}

interface FixedCapacity {
  deployment: string;
  fixed_monthly: number;
  alternative: string | null;
  break_even_tokens_per_month: number | null;
  observed_tokens_per_month: number;
  break_even_never: boolean;
  observed_share_of_break_even: number | null;
}

export interface CostReport {
  requests: number;
  spend: number;
  baseline_spend: number;
  savings: number;
  projected_monthly_spend: number;
  projected_monthly_savings: number;
  groups: CostGroup[];
  fixed_capacity: FixedCapacity[];
  notes: string[];
}

export async function costs(): Promise<HTMLElement[]> {
  const [byDeployment, byDay] = await Promise.all([
    get<CostReport>("/admin/costs?since=30d&by=deployment"),
    get<CostReport>("/admin/costs?since=30d&by=day"),
  ]);
  const days = byDay.groups.map((g) => g.name).sort();
  const spendOf = (field: "spend" | "baseline_spend") => days.map((d) => byDay.groups.find((g) => g.name === d)?.[field] ?? 0);
  return [
    el(
      "div",
      { class: "figures" },
      figure("costs-spend", "Spend, 30 days", money(byDeployment.spend), byDeployment.spend),
      figure("costs-baseline", "On the baseline it would have cost", money(byDeployment.baseline_spend), byDeployment.baseline_spend),
      figure("costs-savings", "Saved", money(byDeployment.savings), byDeployment.savings),
      figure("costs-projected", "Projected monthly spend", money(byDeployment.projected_monthly_spend), byDeployment.projected_monthly_spend),
    ),
    section(
      "Spend by day: actual and counterfactual (baseline)",
      days.length === 0 ? empty("No spend in 30 days.") : dayChart("spend-by-day", days, [{ name: "spend", values: spendOf("spend") }, { name: "baseline", values: spendOf("baseline_spend") }], "USD"),
    ),
    section(
      "By deployment",
      table(
        "costs-by-deployment",
        [
          { title: "Deployment", cell: (g) => g.name },
          { title: "Requests", cell: (g) => g.requests, key: "requests", numeric: true },
          { title: "Share", cell: (g) => percent(g.traffic_share), numeric: true },
          { title: "Errors", cell: (g) => g.errors, key: "errors", numeric: true },
          { title: "Tokens in/out", cell: (g) => `${g.prompt_tokens} / ${g.completion_tokens}`, key: "tokens", numeric: true },
          { title: "Spend", cell: (g) => money(g.spend), key: "spend", numeric: true },
          { title: "Baseline", cell: (g) => money(g.baseline_spend), numeric: true },
          { title: "Saved", cell: (g) => money(g.savings), numeric: true },
        ],
        byDeployment.groups,
        (g) => g.name,
      ),
    ),
    section(
      "Break-even of self-hosted deployments",
      byDeployment.fixed_capacity.length === 0
        ? empty("No deployment with a fixed monthly cost.")
        : table(
            "break-even",
            [
              { title: "Deployment", cell: (f) => f.deployment },
              { title: "Fixed monthly", cell: (f) => money(f.fixed_monthly), numeric: true },
              { title: "Compared with", cell: (f) => f.alternative ?? "—" },
              { title: "Observed tokens/month", cell: (f) => Math.round(f.observed_tokens_per_month).toLocaleString("en"), numeric: true },
              {
                title: "Break-even tokens/month",
                cell: (f) => (f.break_even_never ? "never" : f.break_even_tokens_per_month === null ? "—" : Math.round(f.break_even_tokens_per_month).toLocaleString("en")),
                numeric: true,
              },
              { title: "Observed / break-even", cell: (f) => (f.observed_share_of_break_even === null ? "—" : percent(f.observed_share_of_break_even)), numeric: true },
            ],
            byDeployment.fixed_capacity,
            (f) => f.deployment,
          ),
    ),
    byDeployment.notes.length === 0 ? el("span") : section("Notes", el("ul", {}, ...byDeployment.notes.map((n) => el("li", {}, n)))),
  ];
}
