import { get } from "../api";
import { el, money, ms, section, table } from "../ui";
import type { CostReport } from "./costs";

interface Deployment {
  name: string;
  provider: string;
  model: string;
  breaker: string;
  provider_in_flight: number;
  provider_queued: number;
  endpoints: { url: string; available: boolean; health_check_passing: boolean; outstanding: number }[];
}

interface Latency {
  count: number;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
}

export async function deployments(): Promise<HTMLElement[]> {
  const [list, costs] = await Promise.all([
    get<{ deployments: Deployment[] }>("/admin/deployments"),
    get<CostReport>("/admin/costs?since=1d&by=deployment"),
  ]);
  const latency = await Promise.all(list.deployments.map((d) => get<Latency>(`/admin/latency?since=1d&deployment=${encodeURIComponent(d.name)}`)));
  const rows = list.deployments.map((d, i) => ({ d, l: latency[i], c: costs.groups.find((g) => g.name === d.name) }));
  return [
    section(
      "Deployments (last 24 hours)",
      table(
        "deployments",
        [
          { title: "Deployment", cell: (r) => r.d.name },
          { title: "Provider / model", cell: (r) => `${r.d.provider} / ${r.d.model}` },
          { title: "Breaker", cell: (r) => el("span", { class: "pill " + r.d.breaker }, r.d.breaker), key: "breaker" },
          {
            title: "Replicas up",
            cell: (r) => `${r.d.endpoints.filter((e) => e.available && e.health_check_passing).length} / ${r.d.endpoints.length}`,
            key: "replicas",
            numeric: true,
          },
          { title: "In flight", cell: (r) => r.d.provider_in_flight, numeric: true },
          { title: "Requests", cell: (r) => r.l.count, key: "requests", numeric: true },
          { title: "Errors", cell: (r) => r.c?.errors ?? 0, key: "errors", numeric: true },
          { title: "p50", cell: (r) => ms(r.l.p50_ms), numeric: true },
          { title: "p95", cell: (r) => ms(r.l.p95_ms), key: "p95", numeric: true },
          { title: "p99", cell: (r) => ms(r.l.p99_ms), numeric: true },
          { title: "Tokens in/out", cell: (r) => `${r.c?.prompt_tokens ?? 0} / ${r.c?.completion_tokens ?? 0}`, numeric: true },
          { title: "Cost", cell: (r) => money(r.c?.spend ?? 0), key: "cost", numeric: true },
        ],
        rows,
        (r) => r.d.name,
      ),
    ),
  ];
}
