import { get, post } from "../api";
import { el, empty, section, table } from "../ui";

interface Gate {
  gate: string;
  value: number | null;
  threshold: string;
  samples: number;
  passed: boolean;
}

interface Migration {
  route: string;
  incumbent: string;
  candidate: string;
  stage: string;
  auto: boolean;
  pinned: boolean;
  active: boolean;
  traffic_percent: Record<string, number>;
  stage_entered_at: string;
  gates: { agreement?: number | null; agreement_ci95?: [number, number]; judge_score?: number | null; samples: number; gates: Gate[]; top_disagreements: { incumbent: string; candidate: string; count: number }[] } | null;
  held: { by: string[]; since: string } | null;
  retirements: { deployment: string; model: string; retires: string; days_left: number }[];
  history: { id: number; time: string; kind: string; from: string | null; to: string | null; trigger: string }[];
}

const labels: Record<string, string> = { advance: "Advance", rollback: "Roll back", pin: "Pin to candidate" };

export async function migrations(rerender: () => void): Promise<HTMLElement[]> {
  const { migrations } = await get<{ migrations: Migration[] }>("/admin/migrations");
  if (migrations.length === 0) return [empty("No route has a migration.")];
  return migrations.map((m) => card(m, rerender));
}

function card(m: Migration, rerender: () => void): HTMLElement {
  const status = el("div", { class: "status", role: "status" });
  const actions = el(
    "div",
    { class: "actions" },
    ...(["advance", "rollback", "pin"] as const).map((command) =>
      el("button", { type: "button", "data-action": command, "data-route": m.route }, labels[command]),
    ),
  );
  // Every action asks for confirmation in the page itself before anything is sent.
  actions.addEventListener("click", (event) => {
    const button = (event.target as HTMLElement).closest("button[data-action]") as HTMLButtonElement | null;
    if (!button) return;
    const command = button.dataset.action!;
    const confirmBox = el(
      "div",
      { class: "confirm", "data-confirm": command },
      `${labels[command]} the migration of route ${m.route} (now: ${m.stage})? `,
      el("button", { type: "button", class: "danger", "data-confirm-yes": command }, `Yes, ${labels[command].toLowerCase()}`),
      el("button", { type: "button", "data-confirm-no": command }, "Cancel"),
    );
    status.replaceChildren(confirmBox);
    confirmBox.querySelector("[data-confirm-no]")!.addEventListener("click", () => status.replaceChildren());
    confirmBox.querySelector("[data-confirm-yes]")!.addEventListener("click", async () => {
      status.replaceChildren("Working…");
      try {
        const r = await post<{ stage: string; by: string }>(`/dashboard/api/migrations/${encodeURIComponent(m.route)}/${command}`);
        status.replaceChildren(`Done: stage is now ${r.stage} (by ${r.by}).`);
        rerender();
      } catch (e) {
        status.replaceChildren(el("span", { class: "error" }, (e as Error).message));
      }
    });
  });

  const gates = m.gates;
  return el(
    "article",
    { class: "card", "data-migration": m.route },
    el("h2", {}, `Route ${m.route}`),
    el(
      "p",
      {},
      `${m.incumbent} → ${m.candidate} · stage `,
      el("strong", { "data-stage": m.route }, m.stage),
      m.pinned ? " (pinned)" : "",
      m.auto ? " · automatic" : " · manual",
      " · traffic ",
      Object.entries(m.traffic_percent).map(([d, p]) => `${d} ${p}%`).join(", "),
    ),
    m.held ? el("p", { class: "warn" }, `Held by ${m.held.by.join(", ")} since ${m.held.since}`) : "",
    ...m.retirements.map((r) => el("p", { class: "warn" }, `${r.deployment} (${r.model}) retires ${r.retires}, in ${r.days_left} days`)),
    actions,
    status,
    gates
      ? section(
          "Gates",
          el("p", {}, `Samples ${gates.samples}`, gates.agreement != null ? ` · agreement ${(gates.agreement! * 100).toFixed(1)}%` : "",
            gates.agreement_ci95 ? ` (95% CI ${(gates.agreement_ci95[0] * 100).toFixed(1)}–${(gates.agreement_ci95[1] * 100).toFixed(1)}%)` : "",
            gates.judge_score != null ? ` · judge ${gates.judge_score!.toFixed(2)}` : ""),
          table(
            "gates-" + m.route,
            [
              { title: "Gate", cell: (g) => g.gate },
              { title: "Value", cell: (g) => (g.value === null || g.value === undefined ? "—" : String(g.value)), numeric: true },
              { title: "Threshold", cell: (g) => g.threshold },
              { title: "Samples", cell: (g) => g.samples, numeric: true },
              { title: "", cell: (g) => el("span", { class: "pill " + (g.passed ? "closed" : "open") }, g.passed ? "pass" : "hold") },
            ],
            gates.gates,
            (g) => g.gate,
          ),
          gates.top_disagreements.length === 0
            ? ""
            : table(
                "disagreements-" + m.route,
                [
                  { title: "Incumbent said", cell: (d) => d.incumbent },
                  { title: "Candidate said", cell: (d) => d.candidate },
                  { title: "Times", cell: (d) => d.count, numeric: true },
                ],
                gates.top_disagreements,
              ),
        )
      : "",
    section(
      "History",
      table(
        "history-" + m.route,
        [
          { title: "When", cell: (h) => h.time.replace("T", " ").slice(0, 19) },
          { title: "Change", cell: (h) => h.kind },
          { title: "From", cell: (h) => h.from ?? "" },
          { title: "To", cell: (h) => h.to ?? "" },
          { title: "By", cell: (h) => h.trigger, key: "trigger" },
        ],
        m.history,
        (h) => String(h.id),
      ),
    ),
  );
}
