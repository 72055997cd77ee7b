import { get, post } from "../api";
import { el, empty, figure, money, section, table } from "../ui";

// The decision report (docs/DECISION.md): the checklist as a form, run over the gateway's records by the same query
// as `tandem report decision` and POST /admin/reports/decision.

interface Answers {
  privacy: string;
  customisation: string;
  team_skills: string;
  budget_monthly_usd: number | null;
  model_size: string;
  quantisation: string;
  gpu_hourly_usd: Record<string, number>;
  ops_monthly_usd: number;
  target_utilisation: number;
}

interface Checklist {
  defaults: Answers;
  since: string;
  privacy: string[];
  customisation: string[];
  team_skills: string[];
  model_size: { name: string; label: string }[];
  quantisation: string[];
  gpus: string[];
}

interface GpuOption {
  gpu: string;
  gpus_per_replica: number;
  concurrent_sequences: number;
  replica_tokens_per_second: number;
  replicas: number;
  gpus: number;
  monthly_cost: number | null;
}

interface CostAtVolume {
  tokens_per_month: number;
  api_monthly: number;
  self_host_monthly: number | null;
  option: GpuOption | null;
}

export interface DecisionReport {
  recommendation: string;
  reasons: string[];
  traffic: {
    days: number;
    requests: number;
    prompt_tokens: number;
    completion_tokens: number;
    peak_tokens_per_second: number;
    p95_context_tokens: number;
    api_spend: number;
    sensitive_routes: string[];
    tokens_per_month: number;
  };
  api_price_per_mtok: number;
  observed: CostAtVolume;
  ten_times: CostAtVolume;
  break_even_tokens_per_month: number | null;
  gpus: GpuOption[];
  model: string;
  sources: string;
}

const labels: Record<string, string> = {
  none: "none",
  some_routes: "some routes may not leave",
  all_data: "no data may leave",
  prompting: "prompting",
  fine_tuning: "fine-tuning (own weights)",
  some: "some",
  mlops: "runs inference servers today",
};

const whole = (n: number): string => Math.round(n).toLocaleString("en");

function choice(name: string, title: string, values: { name: string; label: string }[], selected: string): HTMLElement {
  const select = el("select", { name }, ...values.map((v) => el("option", { value: v.name, selected: v.name === selected }, v.label)));
  return el("label", {}, title, select);
}

function number(name: string, title: string, value: number | null | undefined, attrs: Record<string, string | number> = {}): HTMLElement {
  return el("label", {}, title, el("input", { type: "number", name, value: value ?? "", min: 0, step: "any", ...attrs }));
}

function form(list: Checklist, run: (since: string, answers: Answers) => void): HTMLFormElement {
  const d = list.defaults;
  const named = (values: string[]) => values.map((v) => ({ name: v, label: labels[v] ?? v }));
  const f = el(
    "form",
    { class: "filters decision-form", "data-form": "decision" },
    choice("privacy", "Privacy", named(list.privacy), d.privacy),
    choice("customisation", "Customisation", named(list.customisation), d.customisation),
    choice("team_skills", "Team skills", named(list.team_skills), d.team_skills),
    number("budget_monthly_usd", "Budget $/month (empty: no cap)", d.budget_monthly_usd),
    choice("model_size", "Model", list.model_size, d.model_size),
    choice("quantisation", "Weights", named(list.quantisation), d.quantisation),
    ...list.gpus.map((g) => number("gpu:" + g, `${g} $/hour (empty: not costed)`, d.gpu_hourly_usd[g], { "data-gpu": g })),
    number("ops_monthly_usd", "Operations $/month", d.ops_monthly_usd),
    number("target_utilisation", "Target utilisation (0–1]", d.target_utilisation, { max: 1 }),
    choice("since", "Traffic of the last", [{ name: "7d", label: "7 days" }, { name: "30d", label: "30 days" }, { name: "90d", label: "90 days" }], list.since),
    el("button", { type: "submit" }, "Run the report"),
  );
  f.addEventListener("submit", (e) => {
    e.preventDefault();
    const data = new FormData(f);
    const text = (name: string) => String(data.get(name) ?? "");
    const amount = (name: string): number | null => (text(name).trim() === "" ? null : Number(text(name)));
    const prices: Record<string, number> = {};
    for (const g of list.gpus) {
      const p = amount("gpu:" + g);
      if (p !== null) prices[g] = p;
    }
    run(text("since"), {
      privacy: text("privacy"),
      customisation: text("customisation"),
      team_skills: text("team_skills"),
      budget_monthly_usd: amount("budget_monthly_usd"),
      model_size: text("model_size"),
      quantisation: text("quantisation"),
      gpu_hourly_usd: prices,
      ops_monthly_usd: amount("ops_monthly_usd") ?? 0,
      target_utilisation: amount("target_utilisation") ?? d.target_utilisation,
    });
  });
  return f;
}

function selfHost(v: CostAtVolume): string {
  if (v.self_host_monthly === null) return "—";
  return money(v.self_host_monthly) + (v.option ? ` (${v.option.gpus} × ${v.option.gpu} + operations)` : "");
}

/** The report as the API answered it; data-figure / data-value carry the exact numbers for tests. */
export function render(r: DecisionReport): HTMLElement[] {
  const t = r.traffic;
  return [
    el(
      "div",
      { class: "figures" },
      figure("decision-recommendation", "Recommendation", r.recommendation.toUpperCase(), r.recommendation),
      figure("decision-requests", "Requests measured", whole(t.requests), t.requests),
      figure("decision-tokens-month", "Tokens a month", whole(t.tokens_per_month), t.tokens_per_month),
      figure("decision-peak", "Peak tokens/s", t.peak_tokens_per_second.toFixed(2), t.peak_tokens_per_second),
      figure("decision-context", "p95 context (tokens)", whole(t.p95_context_tokens), t.p95_context_tokens),
      figure("decision-price", "API $ per million tokens", "$" + r.api_price_per_mtok.toFixed(4), r.api_price_per_mtok),
      figure(
        "decision-break-even",
        "Break-even tokens a month",
        r.break_even_tokens_per_month === null ? "unknown" : whole(r.break_even_tokens_per_month),
        r.break_even_tokens_per_month ?? "",
      ),
    ),
    section("Why", el("ul", { "data-reasons": "" }, ...r.reasons.map((x) => el("li", {}, x)))),
    section(
      `TCO a month (self-hosted: ${r.model})`,
      table(
        "decision-tco",
        [
          { title: "", cell: (row) => row.label },
          { title: "Tokens a month", cell: (row) => whole(row.v.tokens_per_month), key: "tokens", numeric: true },
          { title: "API", cell: (row) => money(row.v.api_monthly), key: "api", numeric: true },
          { title: "Self-hosted", cell: (row) => selfHost(row.v), key: "self_host", numeric: true },
        ],
        [
          { id: "observed", label: "observed volume", v: r.observed },
          { id: "ten_times", label: "10× the volume", v: r.ten_times },
        ],
        (row) => row.id,
      ),
    ),
    section(
      "GPU sizing at the observed peak",
      r.gpus.length === 0
        ? empty("The model does not fit on 8 of any GPU of the table at this context length.")
        : table(
            "decision-gpus",
            [
              { title: "GPU", cell: (g) => g.gpu },
              { title: "GPUs per copy", cell: (g) => g.gpus_per_replica, key: "per_copy", numeric: true },
              { title: "Sequences", cell: (g) => g.concurrent_sequences, key: "sequences", numeric: true },
              { title: "Tokens/s per copy", cell: (g) => g.replica_tokens_per_second.toFixed(1), key: "tokens_per_second", numeric: true },
              { title: "Copies", cell: (g) => g.replicas, key: "replicas", numeric: true },
              { title: "GPUs", cell: (g) => g.gpus, key: "gpus", numeric: true },
              { title: "Monthly", cell: (g) => (g.monthly_cost === null ? "no price" : money(g.monthly_cost)), key: "monthly", numeric: true },
            ],
            r.gpus,
            (g) => g.gpu,
          ),
    ),
    el("p", { class: "empty" }, `Measured over ${t.days < 1 ? (t.days * 24).toFixed(1) + " hours" : t.days.toFixed(1) + " days"}: ${whole(t.prompt_tokens)} tokens in, ${whole(t.completion_tokens)} out. Sources: ${r.sources}`),
  ];
}

export async function decision(): Promise<HTMLElement[]> {
  const list = await get<Checklist>("/admin/reports/decision");
  const out = el("div", { "data-decision-report": "", "data-ready": "false", "data-runs": 0 });
  let runs = 0;
  const run = async (since: string, answers: Answers) => {
    out.dataset.ready = "false";
    out.replaceChildren("Working…");
    try {
      const report = await post<DecisionReport>(`/dashboard/api/reports/decision?since=${encodeURIComponent(since)}`, answers);
      out.replaceChildren(...render(report));
    } catch (e) {
      out.replaceChildren(el("p", { class: "error", role: "alert", "data-decision-error": "" }, (e as Error).message));
    }
    out.dataset.runs = String(++runs);
    out.dataset.ready = "true";
  };
  const f = form(list, (since, answers) => void run(since, answers));
  // The defaults run at once, so the page opens on the measured traffic.
  await run(list.since, list.defaults);
  return [f, out];
}
